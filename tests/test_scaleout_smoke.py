"""Small runs of the scale-out benchmarks (benchmarks/overhead.py, benchmarks/replicas.py), so
they cannot rot; their figures live in BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import overhead, replicas

pytestmark = pytest.mark.integration


def test_overhead_smoke(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = overhead.main(["--smoke", "--json", str(tmp_path / "overhead.json")])
    printed = capsys.readouterr().out
    assert "overhead p50 / p95 ms" in printed and "two replicas / one replica" in printed
    seq = out["sequential"]
    assert seq["answers"] == 5 and 0 < seq["ms"]["model"]["p50"] < seq["ms"]["latency"]["p50"]
    assert seq["cpu_ms_per_answer"] > 0
    one, two = out["one_replica"], out["two_replicas"]
    assert one["errors"] == two["errors"] == 0, (one["error_examples"], two["error_examples"])
    assert one["answers"] >= 2 and len(one["per_replica"]) == 1
    assert len(two["per_replica"]) == 2  # the client spread its requests over both replicas
    assert out["ratio"] > 0 and (tmp_path / "overhead.json").is_file()


def test_replicas_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    out = replicas.main(["--smoke"])
    assert "answers/min" in capsys.readouterr().out
    (run,) = out["results"]
    assert run["setup"] == "2 replicas, pool of 2 hosts" and run["model"].count(",http://") == 1
    assert run["errors"] == 0, run["error_examples"]
    assert run["answers"] >= 2 and len(run["per_replica"]) == 2
