"""Run the multi-seed learning experiments and store their results (``make experiments``).

    python experiments/run.py                      # every target of pglib.experiments.TARGETS
    python experiments/run.py ppo:CartPole-v1      # some targets
    python experiments/run.py --seeds 10 --jobs 2  # seeds per target, worker processes

Writes ``experiments/results/<algorithm>__<env>.json`` per target and
prints progress (runs done, time left) on the terminal.  Each finished seed
is kept at once under ``experiments/results/partial/``; a sweep started again
takes those and runs only the seeds still missing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pglib import experiments as E  # noqa: E402


def _one(args):
    t, seed = args
    return t, E.run_seed(t, seed)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("targets", nargs="*", help="algorithm:env_id (default: all)")
    ap.add_argument("--seeds", type=int, default=E.N_SEEDS)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=E.RESULTS_DIR)
    args = ap.parse_args(argv)
    targets = [E.target(*name.split(":", 1)) for name in args.targets] if args.targets else E.TARGETS
    os.makedirs(args.out, exist_ok=True)
    # each finished seed is kept under partial/ at once, so an interrupted sweep resumes where it stopped
    partial = os.path.join(args.out, "partial")
    os.makedirs(partial, exist_ok=True)

    def seed_path(t, seed):
        return os.path.join(partial, f"{t.algorithm}__{t.env_id}__seed{seed}.json")

    records = {t: [] for t in targets}
    jobs = []
    for t in targets:
        for seed in range(args.seeds):
            if os.path.exists(seed_path(t, seed)):
                with open(seed_path(t, seed)) as f:
                    records[t].append(json.load(f))
            else:
                jobs.append((t, seed))
    print(f"{sum(map(len, records.values()))} runs found under {partial}, {len(jobs)} to run", flush=True)
    t0, done = time.time(), 0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for fut in as_completed([pool.submit(_one, j) for j in jobs]):
            t, rec = fut.result()
            records[t].append(rec)
            with open(seed_path(t, rec["seed"]), "w") as f:
                json.dump(rec, f)
            done += 1
            elapsed = time.time() - t0
            left = elapsed / done * (len(jobs) - done)
            print(f"[{done}/{len(jobs)}] {t.algorithm} {t.env_id} seed {rec['seed']}: "
                  f"final {rec['final']:.1f} ({rec['seconds']:.0f} s) | elapsed {elapsed / 60:.1f} min, "
                  f"left ~{left / 60:.1f} min", flush=True)
            if len(records[t]) == args.seeds:
                write(t, records[t], args.out)

    for t in targets:              # targets completed from partial results alone
        if len(records[t]) == args.seeds and not os.path.exists(E.results_path(t.algorithm, t.env_id, args.out)):
            write(t, records[t], args.out)


def write(t, records, out):
    """The full record of a target, once every seed has run; prints its summary."""
    runs = sorted(records, key=lambda r: r["seed"])
    with open(E.results_path(t.algorithm, t.env_id, out), "w") as f:
        json.dump({**asdict(t), "eval_episodes": E.EVAL_EPISODES, "eval_seed": E.EVAL_SEED, "runs": runs}, f, indent=1)
    s = E.summarize({**asdict(t), "runs": runs})
    print(f"== {t.algorithm} {t.env_id}: median final {s.median_final:.1f}, "
          f"reached {t.threshold:g} in {int(round(s.fraction_reached * s.n_seeds))}/{s.n_seeds}", flush=True)


if __name__ == "__main__":
    main()
