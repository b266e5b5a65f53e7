# Hidden tests of chapter 7 (see README.txt).

# %% ch7-ex-ct
# The answer cell again, with another policy and another batch of the grid world.
th = 0.5 * np.random.default_rng(2024).standard_normal((grid.n_states, grid.n_actions))
pi_h = gpol.probs(th)
b = pglib.rollouts(grid, pi_h, n_episodes=4000, horizon=400, rng=np.random.default_rng(2025))
ns = _rerun(gtheta=th, gpi=pi_h, gbatch=b)
samples = np.asarray(ns["ct_samples"])
pglib.check_true("hidden: ct_samples has shape (N, 6) + theta.shape",
                 samples.shape == (4000, 6) + th.shape, f"shape {samples.shape}")
m9 = grid.with_gamma(0.9)
q9, M9 = exact.action_values(m9, pi_h), exact.transition_matrix(m9, pi_h)
d, ct = m9.p0 * m9.live, []
for t in range(6):
    ct.append(0.9 ** t * gpol.probs_vjp(th, d[:, None] * q9))     # c_t from the marginal d_t
    d = d @ M9
pglib.check_unbiased("hidden: c_t from samples = from the marginals (another policy and batch)", samples,
                     np.stack(ct))
