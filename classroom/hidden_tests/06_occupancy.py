# Hidden tests of chapter 6 (see README.txt).

# %% ch6-ex-iterate
# The answer cell again, at the same gamma = 0.9 but on another grid (slip 0.3) with another policy.
m = pglib.grid_world(gamma=0.9, slip=0.3, goal_reward=1.0, hole_reward=-1.0, step_reward=-0.1)
pol_h = pglib.SoftmaxPolicy(m.n_states, m.n_actions)
th = 0.8 * np.random.default_rng(2024).standard_normal(pol_h.theta_shape)
pi_h = pol_h.probs(th)
ns = _rerun(mdp=m, policy=pol_h, theta=th, pi=pi_h, gamma=0.9, S=m.n_states, A=m.n_actions)
rho_h = exact.occupancy(m, pi_h)
pglib.check_close("hidden: forward iteration = exact.occupancy on another grid", ns["rho_iter"], rho_h,
                  rtol=0, atol=1e-8)
errors_h = np.asarray(ns["errors"])
k_h = np.arange(1, errors_h.size + 1)
pglib.check_true("hidden: errors has K = 200 entries, each <= gamma^k sum(rho)",
                 errors_h.size == 200 and np.all(errors_h <= 0.9 ** k_h * rho_h.sum() + 1e-12),
                 f"{errors_h.size} entries")
