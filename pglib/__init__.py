r"""pglib: the numerical engine of the policy-gradient course book.

Small, pure NumPy.  One module per idea:

=====================  ==========================================================
``pglib.mdp``          :class:`TabularMDP`, tables ``P[s, a, s']``, ``R[s, a]``
``pglib.policies``     softmax, linear-softmax and Gaussian policies with scores
``pglib.exact``        exact values, visit measures, J and its gradient
``pglib.sampling``     vectorized episodes (:func:`rollouts`)
``pglib.estimators``   REINFORCE, reward-to-go, baselines, with per-episode terms
``pglib.advantages``   TD errors and GAE for actor-critic estimators
``pglib.checks``       live checks printed in the chapters
``pglib.examples``     hand-workable MDPs, grid worlds, random MDPs
``pglib.envs``         Gymnasium toy-text environments as tables
``pglib.plotting``     drawing on grid worlds
``pglib.widgets``      widget experiments that fail loudly and can be timed
``pglib.frames``       precomputed frames: widget experiments on a page with no kernel
``pglib.nn``           Part II: an MLP with hand-written backward pass, Adam, clipping
``pglib.distributions`` categorical, Gaussian and tanh-Gaussian log-densities and gradients
``pglib.lqr``          the linear-quadratic regulator: exact costs and gradients
``pglib.rollout``      Gymnasium vector-env rollouts with the episode-end masks
``pglib.algorithms``   REINFORCE, A2C, TRPO, PPO, ... one readable function each
``pglib.experiments``  multi-seed targets, stored results and their summaries
``pglib.learning``     tabular REINFORCE runs, vectorised over runs (chapter 10)
``pglib.critics``      tabular critics: regression on returns, TD(lambda) (chapter 11)
``pglib.trust_region`` exact Fisher matrices, KL, the TRPO bound on tables (chapter 12)
``pglib.dpg``          the deterministic policy gradient on LQR (chapter 14)
``pglib.smoothing``    the Gaussian-smoothed objective of ES on LQR (chapter 15)
``pglib.replay``       the replay buffer of off-policy methods
=====================  ==========================================================
"""
from . import advantages, checks, estimators, examples, exact, mdp, policies, sampling
from .checks import check_cases, check_close, check_true, check_unbiased
from .mdp import GridLayout, TabularMDP
from .policies import GaussianPolicy, LinearSoftmaxPolicy, SoftmaxPolicy
from .examples import chain_mdp, grid_world, random_mdp, short_corridor, two_state_mdp
from .sampling import Batch, rollouts

__version__ = "0.1.0"

__all__ = [
    "TabularMDP", "GridLayout", "SoftmaxPolicy", "LinearSoftmaxPolicy", "GaussianPolicy",
    "check_close", "check_cases", "check_unbiased", "check_true", "rollouts", "Batch",
    "two_state_mdp", "chain_mdp", "short_corridor", "grid_world", "random_mdp",
    "advantages", "checks", "estimators", "examples", "exact", "mdp", "policies", "sampling",
]


def __getattr__(name):
    # Modules with heavier imports (gymnasium, matplotlib, ipywidgets) load on first use.
    import importlib
    if name in ("envs", "plotting", "widgets", "frames", "nn", "distributions", "lqr", "rollout", "algorithms",
                "experiments", "replay", "learning", "critics", "trust_region", "dpg", "smoothing"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pglib' has no attribute {name!r}")
