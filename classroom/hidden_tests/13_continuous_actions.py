# Hidden tests of chapter 13 (see README.txt).

# %% ch13-ex-sigma
# Another system: a random 3-state, 1-action LQR (spectral radius 0.9, so K = 0 is stable),
# gamma = 0.8, sigma = 0.6, T = 25, another seed.
from pglib import lqr as lqr_h
sys_h = lqr_h.random_lqr(3, 1, np.random.default_rng(2024), gamma=0.8)
K_h = np.zeros((1, 3))
samples = np.asarray(reinforce_sigma(sys_h, K_h, 0.6, 25, 20000, np.random.default_rng(2025)))
pglib.check_true("hidden: reinforce_sigma returns one sample per episode", samples.shape == (20000,),
                 f"shape {samples.shape}")
pglib.check_unbiased("hidden: REINFORCE in sigma = exact dC_T/dsigma (random LQR)", samples,
                     sys_h.finite_horizon_gaussian_gradient(K_h, 25, 0.6).sigma)
