# Hidden tests of chapter 4 (see README.txt).

# %% ch4-ex-qeval
# A random MDP with two terminal states, gamma = 0.8, a random stochastic policy.
rng = np.random.default_rng(2024)
m = pglib.random_mdp(6, 3, rng, gamma=0.8, n_terminal=2)
pi_h = rng.dirichlet(np.ones(3), size=6)
# one application from q = 0 gives the expected reward, 0 in terminal states (by hand)
pglib.check_close("hidden: evaluate_q(k = 1) = r, zero in terminal states", evaluate_q(m, pi_h, 1),
                  m.R * m.live[:, None])
pglib.check_close("hidden: evaluate_q(k = 300) = exact.action_values on a random MDP",
                  evaluate_q(m, pi_h, 300), exact.action_values(m, pi_h), atol=1e-8)
