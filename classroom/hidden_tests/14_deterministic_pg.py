# Hidden tests of chapter 14 (see README.txt).

# %% ch14-ex-pathwise
# Another system: a random 2-state, 1-action LQR (spectral radius 0.9), gamma = 0.9, half its
# optimal gain, sigma = 0.7, T = 150 (gamma^T < 2e-7), another seed.
from pglib import lqr as lqr_h
sys_h = lqr_h.random_lqr(2, 1, np.random.default_rng(2024), gamma=0.9)
K_h = 0.5 * sys_h.optimal_gain()
pglib.check_true("hidden: the gain is stable", sys_h.is_stable(K_h))
samples = np.asarray(pathwise_gradient(sys_h, K_h, 0.7, 150, 3000, np.random.default_rng(2025)))
pglib.check_true("hidden: pathwise_gradient has shape (n_episodes, m, n)", samples.shape == (3000, 1, 2),
                 f"shape {samples.shape}")
pglib.check_unbiased("hidden: pathwise samples = exact grad_K C_sigma (random LQR)", samples,
                     sys_h.gaussian_gradient(K_h, 0.7).K)
