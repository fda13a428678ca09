"""Small, fast runs of every benchmark, so they cannot rot (the figures live in BENCHMARKS.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmarks import conversations, escalation, pipeline, qa, routing, routing_auto, routing_scale
from benchmarks.common import CLINC

pytestmark = pytest.mark.integration


def test_routing_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    if not (CLINC / "data_full.json").is_file():
        pytest.fail(f"CLINC150 is missing at {CLINC}")
    out = routing.main(["--smoke"])
    printed = capsys.readouterr().out
    assert "| examples per domain |" in printed and "routing latency" in printed
    runs = out["results"][-1]["runs"]
    assert runs[0]["top1"] > runs[0]["knn_top1"] > 0.3  # the router beats plain kNN
    assert 0 < out["latency_ms"]["20"]["p50"] < 1000
    assert out["llm_baseline"]["n"] == 4


def test_routing_auto_smoke() -> None:
    out = routing_auto.main(["--smoke", "--corrections"])
    run = out["runs"][0]
    assert run["start"]["in_scope_right"] > 0.5 and run["fit"]  # fitted without calibrate
    assert [c["corrections"] for c in run["corrections"]] == [10, 20]


def test_routing_scale_smoke() -> None:
    rows = routing_scale.main(["--smoke"])
    assert rows[0]["plugins"] == 10 and rows[0]["questions"] == 20
    assert rows[0]["top1"] > 0.5 and rows[0]["p95_ms"] > 0


def test_escalation_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    out = escalation.main(["--smoke"])
    assert "answered by specialists alone" in capsys.readouterr().out
    with_gate = out["results"]["with escalation"]
    without = out["results"]["without escalation"]
    assert with_gate["questions"] == without["questions"] == 4
    assert with_gate["out_of_domain_to_coordinator"] == 1.0
    assert without["specialists_only"] >= with_gate["specialists_only"]


def test_pipeline_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    out = pipeline.main(["--smoke"])
    assert "chunks/s" in capsys.readouterr().out
    assert out["ingest"]["chunks"] > 10 and out["ingest"]["chunks_per_s"] > 0
    assert out["ingest"]["reingest_unchanged_s"] < out["ingest"]["seconds"]
    assert out["retrieval"][0]["chunks"] == 1000 and out["retrieval"][0]["query_p50_ms"] > 0
    assert out["answer"]["answers"] == 6 and 0 <= out["answer"]["overhead_share_p50"] < 1


def test_readiness_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import readiness

    out = readiness.main(["--smoke"])
    assert "| case | status |" in capsys.readouterr().out
    results = out["results"]
    assert results["every host up"]["status"] == ["ready"]
    assert results["one host refusing"]["status"] == ["degraded"]
    assert results["one host never answering"]["status"] == ["degraded"]
    assert "plugin cycling" in results["one host never answering"]["down"]


def test_load_smoke(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from benchmarks import load

    out = load.main(["--smoke", "--json", str(tmp_path / "load.json")])
    assert "| clients | requests | statuses |" in capsys.readouterr().out
    assert json.loads((tmp_path / "load.json").read_text())["results"][0]["clients"] == 3
    assert out["server_limits"]["FRONTDESK_MAX_CONCURRENCY"] == 1
    r = out["results"][0]
    assert r["clients"] == 3 and r["turns_total"] == 3
    assert sum(r["statuses"].values()) == r["requests"] == len(r["attempts"]) >= 3
    assert set(r["statuses"]) <= {"200", "429", "503"}, r["errors"]  # refusals, never errors
    assert r["answered_turns"] >= 1 and r["latency_s"]["n"] == r["answered_turns"]
    assert r["refusals_with_retry_after"] == r["refusals"]
    assert {a["stream"] for a in r["attempts"]} == {True, False}  # both kinds of client ran
    assert r["nothing_lost"] and r["no_thread_mixed"], r["problems"]
    assert 0 < r["rss_mib"]["before"] <= r["rss_mib"]["peak"]
    assert r["max_admitted_at_once"] >= 1 and r["answers_per_min"] > 0


def test_conversations_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    out = conversations.main(["--smoke"])
    assert "understood as" in capsys.readouterr().out
    followup = next(t for t in out["turns"] if t["question"] == "And what is its population?")
    assert followup["standalone"] == "What is Peru's population?"
    assert not any(t["repeats_previous"] for t in out["turns"])
    assert out["turns"][-1]["origin"] == "registry"


def test_quac_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import quac

    if not quac.QUAC.is_file():
        pytest.fail(f"the QuAC sample is missing at {quac.QUAC}")
    out = quac.main(["--smoke"])
    assert "| run | questions |" in capsys.readouterr().out
    assert out["split"] == "test" and out["dialogs"] == 1 and out["passages"] == 6
    for run in ("scoped", "unscoped"):
        overall = out["runs"][run]["overall"]
        assert overall["questions"] == len(out["answers"][run]) >= 3
        assert 0 <= overall["hit_at_k"] <= 1 and 0 <= overall["f1"] <= 1
    # scoped answers cite the dialog's own passage only
    scoped = out["answers"]["scoped"]
    assert all(c == f"quac/{scoped[0]['document']}" for r in scoped for c in r["citations"])
    hits = quac.main(["--smoke", "--retrieval-only", "--runs", "unscoped"])["retrieval"]
    assert set(hits["unscoped"]) == {name for name, _ in qa.RETRIEVAL_VARIANTS}


def test_reference_qa_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import reference_qa

    out = reference_qa.main(["--smoke"])
    assert "| run | questions |" in capsys.readouterr().out
    examples, manpages = out["sets"]["examples"], out["sets"]["manpages"]
    assert examples["overall"]["questions"] == manpages["overall"]["questions"] == 3
    assert examples["overall"]["routing_accuracy"] is not None  # examples are routed
    assert manpages["overall"]["routing_accuracy"] is None  # the git plugin is forced
    assert manpages["ingest"]["documents"] == 3  # the pages its three questions are about
    assert manpages["overall"]["hit_at_k"] is not None


def test_reference_qa_new_domain_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import reference_qa

    out = reference_qa.main(["--set", "newdomain_dev", "--smoke"])
    assert "| run | questions |" in capsys.readouterr().out
    new = out["sets"]["newdomain_dev"]
    assert new["overall"]["questions"] == 3
    assert new["overall"]["routing_accuracy"] is not None  # routed among all four plugins
    assert new["ingest"]["documents"] == 22  # the aquarium's ten beside the examples' twelve


def test_shared_state_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import shared_state

    out = shared_state.main(["--smoke"])
    assert "| state on |" in capsys.readouterr().out
    assert set(out["results"]) == {"SQLite + files", "PostgreSQL"}
    assert all(r["ask_on_thread_ms"]["p50"] > 0 for r in out["results"].values())
    assert [p["interval_s"] for p in out["propagation"]] == [0.5, 2.0]


def test_reload_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import reload

    out = reload.main(["--smoke"])
    assert "reload p50 ms" in capsys.readouterr().out
    (run,) = out["results"]
    assert run["plugins"] == 3 and len(run["reload_s"]) == 1 and run["reload_s"][0] > 0


def test_a_missing_data_set_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # From a checkout without ../shared/data beside it, the QuAC benchmark ended in a traceback
    # (audit, session 10).
    from benchmarks import quac

    monkeypatch.setattr(quac, "QUAC", tmp_path / "quac" / "dialogs.jsonl")
    with pytest.raises(SystemExit) as exit_:
        quac.main(["--smoke"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(tmp_path / "quac") in err and "../shared/data" in err
