"""pglib.experiments: summaries against hand computations, the reproduction check, and the stored results
against what the README reports."""
import json
import os
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from pglib import experiments as E

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _record(curves, finals, threshold=10.0):
    return {"algorithm": "ppo", "env_id": "CartPole-v1", "threshold": threshold,
            "runs": [{"seed": i, "steps": s, "returns": r, "final": f, "seconds": 1.0 + i}
                     for i, ((s, r), f) in enumerate(zip(curves, finals))]}


def test_summarize_by_hand():
    rec = _record([([0, 10, 20], [1.0, 5.0, 9.0]), ([0, 10, 20], [3.0, 7.0, 11.0]), ([0, 12, 21], [2.0, 6.0, 13.0])],
                  [9.0, 11.0, 13.0])
    s = E.summarize(rec)
    np.testing.assert_array_equal(s.steps, [0, 10, 20])
    # third seed read as a step function on the grid 0, 10, 20: values 2, 2, 6
    np.testing.assert_allclose(s.median, [2.0, 5.0, 9.0])
    np.testing.assert_allclose(s.q25, [1.5, 3.5, 7.5])
    np.testing.assert_allclose(s.q75, [2.5, 6.0, 10.0])
    assert s.fraction_reached == pytest.approx(2 / 3) and s.median_final == 11.0 and s.n_seeds == 3


def test_check_reproduces():
    rec = _record([([0, 10], [1.0, 2.5])], [2.5])
    run = SimpleNamespace(algorithm="ppo", env_id="CartPole-v1", seed=0, steps=np.array([0, 10]), returns=np.array([1.0, 2.5]))
    E.check_reproduces(run, rec)
    run.returns = np.array([1.0, 2.5 + 1e-12])
    with pytest.raises(AssertionError):
        E.check_reproduces(run, rec)
    run.seed = 7
    with pytest.raises(ValueError, match="seed 7"):
        E.check_reproduces(run, rec)


def test_unknown_target_and_missing_results(tmp_path):
    with pytest.raises(ValueError, match="no experiment target"):
        E.target("ppo", "Nope-v0")
    with pytest.raises(ValueError, match="no stored results"):
        E.load("ppo", "CartPole-v1", directory=str(tmp_path))


def _stored():
    out = []
    for t in E.TARGETS:
        path = E.results_path(t.algorithm, t.env_id)
        if os.path.exists(path):
            out.append((t, path))
    return out


@pytest.mark.parametrize("t, path", _stored(), ids=lambda x: getattr(x, "algorithm", "") + getattr(x, "env_id", ""))
def test_stored_results_are_complete(t, path):
    with open(path) as f:
        rec = json.load(f)
    assert (rec["algorithm"], rec["env_id"], rec["total_steps"], rec["threshold"]) == (
        t.algorithm, t.env_id, t.total_steps, t.threshold)
    seeds = [r["seed"] for r in rec["runs"]]
    assert len(seeds) >= 10 and seeds == sorted(set(seeds))
    for r in rec["runs"]:
        assert r["steps"][0] == 0 and len(r["steps"]) == len(r["returns"])
        assert r["steps"][-1] <= t.total_steps + 100_000   # a last batch may overrun a little


def test_readme_reports_the_stored_results():
    sys.path.insert(0, os.path.join(ROOT, "experiments"))
    import report
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    assert report.table() in readme, "README's learning table differs from experiments/report.py's output"
