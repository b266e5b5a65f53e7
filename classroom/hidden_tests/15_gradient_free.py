# Hidden tests of chapter 15 (see README.txt).

# %% ch15-ex-crn
# Another system: a random 2-state, 1-action LQR (spectral radius 0.5), gamma = 0.9, half its
# optimal gain, nu = 0.05, T = 25, another seed; the references are exact (quadrature).
# (A small nu keeps every perturbed gain stable, so the squared deviations have light tails.)
sys_h = lqr.random_lqr(2, 1, np.random.default_rng(2024), gamma=0.9, spectral_radius=0.5)
K_h = 0.5 * sys_h.optimal_gain()
est = np.asarray(es_pairs(sys_h, K_h, 0.05, 25, 20000, np.random.default_rng(2025)))
pglib.check_true("hidden: es_pairs has shape (n_pairs, m, n)", est.shape == (20000, 1, 2), f"shape {est.shape}")
exact_h = S.smoothed_gradient(sys_h, K_h, 0.05, 25)
pglib.check_unbiased("hidden: es_pairs average to grad C_T^nu (random LQR)", est, exact_h)
pglib.check_unbiased("hidden: squared deviations average to the exact common-start variance (random LQR)",
                     (est - exact_h) ** 2, S.es_variance(sys_h, K_h, 0.05, 25, "antithetic"))
