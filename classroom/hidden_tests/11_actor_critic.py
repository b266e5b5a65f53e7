# Hidden tests of chapter 11 (see README.txt).

# %% ch11-ex-segment
# A random segment of 4 environments over 9 steps: random terminations and truncations, and
# the reset step that follows each of them (valid False), as pglib's rollouts record them.
rng = np.random.default_rng(2024)
n_h, M_h = 9, 4
rew = rng.standard_normal((n_h, M_h))
vals = rng.standard_normal((n_h + 1, M_h))
term = np.zeros((n_h, M_h), dtype=bool)
trunc = np.zeros((n_h, M_h), dtype=bool)
ok = np.ones((n_h, M_h), dtype=bool)
for t in range(n_h):
    if t > 0:
        ok[t] = ~(term[t - 1] | trunc[t - 1])          # the step after an episode end is a reset
    u = rng.random(M_h)
    term[t] = ok[t] & (u < 0.2)
    trunc[t] = ok[t] & (u >= 0.2) & (u < 0.35)
    rew[t] = np.where(ok[t], rew[t], 0.0)
for g in (0.9, 1.0):
    pglib.check_close(f"hidden: n_step_advantages = segment_gae(lambda = 1), random segment, gamma = {g}",
                      n_step_advantages(rew, vals, term, trunc, ok, g),
                      advantages.segment_gae(rew, vals, term, trunc, ok, g, 1.0), rtol=1e-10, atol=1e-10)
