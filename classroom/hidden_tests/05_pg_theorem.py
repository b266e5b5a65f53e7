# Hidden tests of chapter 5 (see README.txt).

# %% ch5-ex-visits
# The answer cell again, on another grid (slip 0.3, step cost 0.1) with another policy.
m = pglib.grid_world(gamma=1.0, slip=0.3, goal_reward=1.0, hole_reward=-1.0, step_reward=-0.1)
pol_h = pglib.SoftmaxPolicy(m.n_states, m.n_actions)
th = 0.8 * np.random.default_rng(2024).standard_normal(pol_h.theta_shape)
pi_h = pol_h.probs(th)
start = int(np.argmax(m.p0))
ns = _rerun(mdp=m, policy=pol_h, theta=th, pi=pi_h, s0=start, S=m.n_states, A=m.n_actions)
pglib.check_close("hidden: n_trunc = expected_visits on another grid", ns["n_trunc"],
                  exact.expected_visits(m, pi_h), rtol=0, atol=1e-9)
# the gap after K terms is the tail of the series, e_s0 (P^pi)^(K+1) (I - P^pi)^(-1) (closed form)
M = exact.transition_matrix(m, pi_h)
N = np.linalg.inv(np.eye(m.n_states) - M)
tails = [np.abs(np.linalg.matrix_power(M, K + 1)[start] @ N).max() for K in (0, 5, 20)]
pglib.check_close("hidden: gaps[K] = the tail of the series (K = 0, 5, 20)", np.asarray(ns["gaps"])[[0, 5, 20]],
                  tails, rtol=1e-8, atol=1e-14)
