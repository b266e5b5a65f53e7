"""The README's table of learning results, from the stored experiments.

    python experiments/report.py        # prints the markdown table

tests/test_experiments.py checks that the README holds exactly this table,
so the numbers a reader sees are the stored ones.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pglib import experiments as E  # noqa: E402

HEADER = ("| algorithm | task | budget (env steps) | threshold | seeds | reached | median final return (IQR) "
          "| anchor |\n|---|---|---|---|---|---|---|---|")


def row(t, directory=None):
    try:
        record = E.load(t.algorithm, t.env_id, directory)
    except ValueError:
        return f"| {t.algorithm} | {t.env_id} | {t.total_steps:,} | {t.threshold:g} | — | not run yet | — | {t.anchor} |"
    import numpy as np
    s = E.summarize(record)
    q25, q75 = np.percentile(s.finals, [25, 75])
    reached = int(round(s.fraction_reached * s.n_seeds))
    return (f"| {t.algorithm} | {t.env_id} | {t.total_steps:,} | {t.threshold:g} | {s.n_seeds} | "
            f"{reached}/{s.n_seeds} | {s.median_final:.1f} ({q25:.1f} to {q75:.1f}) | {t.anchor} |")


def table(directory=None):
    return "\n".join([HEADER] + [row(t, directory) for t in E.TARGETS])


if __name__ == "__main__":
    print(table())
