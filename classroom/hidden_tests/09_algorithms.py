# Hidden tests of chapter 9 (see README.txt).

# %% ch9-ex-gae
# Random TD errors of episodes of random lengths (zero on padding); the reference writes the
# double sum as one matrix product, U[l, t] = (gamma lambda)^(l - t) for l >= t.
rng = np.random.default_rng(2024)
N_h, T_h = 6, 9
delta_h = rng.standard_normal((N_h, T_h)) * (np.arange(T_h) < rng.integers(1, T_h + 1, N_h)[:, None])
l_idx, t_idx = np.meshgrid(np.arange(T_h), np.arange(T_h), indexing="ij")
for g, lam in [(0.97, 0.8), (1.0, 0.5)]:
    U = np.where(l_idx >= t_idx, (g * lam) ** np.maximum(l_idx - t_idx, 0), 0.0)
    pglib.check_close(f"hidden: gae_double_sum = matrix form (gamma = {g}, lambda = {lam})",
                      gae_double_sum(delta_h, g, lam), delta_h @ U, rtol=1e-10, atol=1e-12)
pglib.check_close("hidden: gae_double_sum with lambda = 0 returns the TD errors", gae_double_sum(delta_h, 0.9, 0.0),
                  delta_h, rtol=1e-12, atol=1e-12)
