# Hidden tests of chapter 2 (see README.txt).

# %% ch2-ex-code
# A random MDP with a terminal state (episodes of different lengths, padded), gamma = 0.8,
# a tabular policy and a linear policy with 4 features.
rng = np.random.default_rng(2024)
m = pglib.random_mdp(5, 3, rng, gamma=0.8, n_terminal=1, end_prob=0.25)
tab_h = pglib.SoftmaxPolicy(m.n_states, m.n_actions)
th = rng.standard_normal(tab_h.theta_shape)
b = pglib.rollouts(m, tab_h.probs(th), 300, 12, rng)
pglib.check_close("hidden: reinforce_by_hand = pglib, random MDP, tabular policy",
                  reinforce_by_hand(b, tab_h, th, m.gamma),
                  estimators.reinforce_total_return(b, tab_h, th, m.gamma).mean, rtol=1e-10, atol=1e-12)
lin_h = pglib.LinearSoftmaxPolicy(rng.standard_normal((m.n_states, m.n_actions, 4)))
th4 = rng.standard_normal(4)
b4 = pglib.rollouts(m, lin_h.probs(th4), 300, 12, rng)
pglib.check_close("hidden: reinforce_by_hand = pglib, random MDP, linear policy",
                  reinforce_by_hand(b4, lin_h, th4, m.gamma),
                  estimators.reinforce_total_return(b4, lin_h, th4, m.gamma).mean, rtol=1e-10, atol=1e-12)
