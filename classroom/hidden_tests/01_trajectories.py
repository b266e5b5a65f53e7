# Hidden tests of chapter 1 (see README.txt).

# %% ch1-ex-brute
# Another MDP than the chain of the visible check: random transitions and rewards,
# several start states, two terminal states, gamma = 0.8, horizon 4.
rng = np.random.default_rng(2024)
m = pglib.random_mdp(4, 2, rng, gamma=0.8, n_terminal=2, end_prob=0.3)
pol_h = pglib.SoftmaxPolicy(m.n_states, m.n_actions)
th = rng.standard_normal(pol_h.theta_shape)
total_h, J_h = brute_force(m, pol_h.probs(th), 4)
pglib.check_close("hidden: brute force, sum of rho = 1 on a random MDP", total_h, 1.0)
pglib.check_close("hidden: brute force J_4 = backward induction on a random MDP", J_h,
                  exact.objective(m, pol_h, th, horizon=4))
# the two-state MDP (no terminal state) at horizon 3, against the enumeration of pglib
two = pglib.two_state_mdp(gamma=0.9)
pol2 = pglib.SoftmaxPolicy(2, 2)
th2 = np.array([[0.3, -0.7], [1.1, 0.2]])
en = exact.trajectory_distribution(two, pol2.probs(th2), horizon=3)
total2, J2 = brute_force(two, pol2.probs(th2), 3)
pglib.check_close("hidden: brute force J_3 = enumeration on the two-state MDP", (total2, J2),
                  (1.0, en.expect(en.returns(two.gamma))))
