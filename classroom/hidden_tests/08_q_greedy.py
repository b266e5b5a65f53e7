# Hidden tests of chapter 8 (see README.txt).

# %% ch8-ex-sampled
# A tabular policy on a random MDP, an arbitrary state weighting (total mass 4.6, not 1)
# and the exact q; the reference is a finite-difference gradient of sum_s rho(s) sum_a q(s, a) pi(a|s).
rng = np.random.default_rng(2024)
m = pglib.random_mdp(5, 3, rng, gamma=0.9, n_terminal=1)
pol_h = pglib.SoftmaxPolicy(m.n_states, m.n_actions)
th = rng.standard_normal(pol_h.theta_shape)
rho_h = np.array([0.5, 1.5, 1.0, 1.6, 0.0])
q_h = exact.action_values(m, pol_h.probs(th))
terms = np.asarray(sampled_terms(pol_h, th, rho_h, q_h, 6000, np.random.default_rng(2025)))
pglib.check_true("hidden: sampled_terms has shape (n,) + theta.shape", terms.shape == (6000,) + th.shape,
                 f"shape {terms.shape}")
f = lambda t: float(np.sum(rho_h[:, None] * q_h * pol_h.probs(t)))
fd = np.zeros(th.shape)
for idx in np.ndindex(th.shape):
    e = np.zeros(th.shape)
    e[idx] = 1e-6
    fd[idx] = (f(th + e) - f(th - e)) / 2e-6
pglib.check_unbiased("hidden: mean of sampled_terms = g(rho, q) by finite differences (random MDP)", terms, fd)
