# Hidden tests of chapter 12 (see README.txt).

# %% ch12-ex-npg-step
# Another MDP than the grid: random, with a terminal state; the reference solves F x = grad J
# with the Fisher matrix of pglib and scales x to (1/2) x'Fx = delta.
rng = np.random.default_rng(2024)
m = pglib.random_mdp(5, 3, rng, gamma=0.9, n_terminal=1, end_prob=0.15)
pol_h = pglib.SoftmaxPolicy(m.n_states, m.n_actions)
for k in range(2):
    th = 0.7 * rng.standard_normal(pol_h.theta_shape)
    F = tr.fisher_matrix(m, pol_h, th)
    x = np.linalg.lstsq(F, exact.policy_gradient(m, pol_h, th).ravel(), rcond=None)[0]
    pglib.check_close(f"hidden: npg_step = step from the Fisher matrix (random MDP, policy {k}, delta = 0.02)",
                      np.asarray(npg_step(m, th, 0.02)).ravel(), np.sqrt(2 * 0.02 / (x @ F @ x)) * x,
                      rtol=1e-6, atol=1e-9)
