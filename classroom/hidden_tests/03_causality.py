# Hidden tests of chapter 3 (see README.txt).

# %% ch3-ex-rtg
# rewards_to_go on another MDP (random, with a terminal state: padded episodes), for gamma = 0.7 and 1.
rng = np.random.default_rng(2024)
m = pglib.random_mdp(5, 2, rng, gamma=0.7, n_terminal=1, end_prob=0.3)
pol_h = pglib.SoftmaxPolicy(m.n_states, m.n_actions)
b = pglib.rollouts(m, pol_h.probs(rng.standard_normal(pol_h.theta_shape)), 60, 15, rng)
for g in (0.7, 1.0):
    pglib.check_close(f"hidden: rewards_to_go = sampling.discounted_returns (random MDP, gamma = {g})",
                      rewards_to_go(b.rewards, b.mask, g), sampling.discounted_returns(b.rewards, b.mask, g),
                      rtol=1e-12, atol=1e-12)
