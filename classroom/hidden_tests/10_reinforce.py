# Hidden tests of chapter 10 (see README.txt).

# %% ch10-ex-drop-gamma
# The answer cell again on the balancing task with another policy; the reference is a Monte Carlo
# average over fresh episodes of that policy (z-tests), as in the visible check.
th = 0.6 * np.random.default_rng(2024).standard_normal(theta3.shape)
pi_h = pol3.probs(th)
M_h = exact.transition_matrix(balance, pi_h)
q_h, v_h = exact.action_values(balance, pi_h), exact.state_values(balance, pi_h)
Q_h = exact.finite_horizon_action_values(balance, pi_h, T)
d, boot_h = p0_3 * balance.live, 0.0
for t in range(T):
    boot_h = boot_h + pol3.probs_vjp(th, balance.gamma ** t * d[:, None] * q_h)
    d = d @ M_h
ns = _rerun(theta3=th, pi3=pi_h, M3=M_h, q3=q_h, v3=v_h, Q3=Q_h,
            grad_JT3=exact.policy_gradient(balance, pol3, th, horizon=T), grad_boot3=boot_h)
b = pglib.rollouts(balance, pi_h, 20_000, T, np.random.default_rng(2025))
G = sampling.discounted_returns(b.rewards, b.mask, balance.gamma)
cut = balance.live[b.final_states]                                  # the limit cut these episodes
G_boot = G + np.where(b.mask & cut[:, None], balance.gamma ** (b.lengths[:, None] - np.arange(T))
                      * v_h[b.final_states][:, None], 0.0)
pglib.check_unbiased("hidden: gamma^t-free, cut as an end (another policy)",
                     estimators.score_terms(b, pol3, th, G), ns["drop_cut"])
pglib.check_unbiased("hidden: gamma^t-free, bootstrapped (another policy)",
                     estimators.score_terms(b, pol3, th, G_boot), ns["drop_boot"])
