"""`frontdesk eval`: scores computed through the engine, on scripted models and hash embeddings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from frontdesk import cli
from frontdesk.declines import is_decline
from frontdesk.engine import Engine
from frontdesk.errors import InputError
from frontdesk.evaluate import check_cases, load_cases, normalize, report, run_eval, token_f1
from frontdesk.settings import Settings
from frontdesk.testing import FakeChatModel, HashEmbedder

LINES = [
    {
        "question": "How long should I rest a steak?",
        "plugin": "kitchen",
        "answers": ["eight minutes"],
    },
    {"question": "Can I freeze cooked rice?", "plugin": "kitchen", "answers": ["within one hour"]},
    {"question": "When should I prune my roses?", "plugin": "garden", "answers": []},
    {
        "question": "How often should I water tomatoes?",
        "plugin": "garden",
        "answers": ["three times a week"],
        "thread": "t 1",
    },
    {
        "question": "And how deeply?",
        "plugin": "garden",
        "answers": ["deeply"],
        "thread": "t 1",
        "document": "tomatoes.md",
    },
    # Not in the kitchen's notes at all: the specialist declines without a model call.
    {"question": "How should I bake bread in the kitchen?", "plugin": "kitchen", "answers": []},
]
REPLIES = [
    "Rest it for eight minutes.",
    "The kitchen notes don't cover freezing.",
    "The garden notes do not cover that.",
    "Water them three times a week.",
    "Water them deeply.",
]


def test_squad_normalisation_and_token_f1() -> None:
    assert normalize("The Cat's  hat, a RED one!") == "cats hat red one"
    assert token_f1("the red hat", ["Red hat"]) == 1.0
    assert token_f1("a red cap", ["red hat", "blue cap"]) == pytest.approx(0.5)
    assert token_f1("nothing alike", ["red hat"]) == 0.0


def test_quote_marks_and_dashes_are_punctuation_too() -> None:
    # the product quotes its evidence in typographic marks: they must not glue themselves to the
    # first and last words and cost those words their match (session 8, branch `quote`)
    assert normalize("“Rest it for 5 minutes.”") == "rest it for 5 minutes"
    assert token_f1("“Rest it for 5 minutes.”", ["rest it for 5 minutes"]) == 1.0
    assert normalize("8–10 minutes — or ‘more’") == normalize("8-10 minutes - or 'more'")


def test_is_decline_matches_the_shared_phrases() -> None:
    assert is_decline("The cooking notes don\u2019t cover freezing rice.")
    assert is_decline("That is NOT in the documents.")
    assert is_decline("The notes do not\ncover it.")
    assert not is_decline("Rest a steak for five minutes; covering it keeps it warm.")


def test_a_part_said_not_found_in_a_multi_part_answer_is_a_decline() -> None:
    # A multi-part answer says a part its notes do not cover with parts.gap; eval's multi-part
    # scoring counts that part right only when is_decline recognises the sentence.
    from frontdesk import parts

    route = {"parts": [{"plugin": "cycling", "part": "how do I true a buckled wheel"}]}
    assert is_decline(parts.gap(route, {"plugin": "cycling", "answer": ""}))


@pytest.fixture
def scripted(make_settings: Callable[..., Settings]) -> Engine:
    eng = Engine(
        make_settings(default_model="fake:script", escalate=False), embedder=HashEmbedder()
    )
    eng.ingest()
    FakeChatModel.enqueue(*REPLIES)
    return eng


def _write(tmp_path: Path, lines: list[dict[str, object]]) -> Path:
    path = tmp_path / "eval.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_eval_scores_routing_retrieval_f1_and_declines(scripted: Engine, tmp_path: Path) -> None:
    cases = load_cases(_write(tmp_path, LINES))
    rep = report(run_eval(scripted, cases, k=2), k=2)
    results = rep["results"]
    answers = [r["answer"] for r in results]
    # What the specialists said, after the claim checks: the scripted model's decline for the
    # rice (which its notes do cover) and its answer for the roses were replaced by the notes.
    assert answers[0] == REPLIES[0] and answers[3:5] == REPLIES[3:5]
    assert "within one hour" in answers[1] and "late winter" in answers[2]
    assert answers[5].startswith("The kitchen notes don't cover")
    assert [r["routed"] for r in results] == [
        "kitchen",
        "kitchen",
        "garden",
        "garden",
        "garden",
        "kitchen",
    ]
    assert [r["follow_up"] for r in results] == [False, False, False, False, True, False]
    assert results[4]["route_ok"] is None  # a document forces its plugin: routing not scored
    assert results[4]["citations"] == ["garden/tomatoes.md"]
    overall = rep["overall"]
    assert overall["routing_accuracy"] == 1.0
    assert overall["hit_at_k"] == 1.0
    # One decline, right; two questions marked unanswerable (the roses one is answered).
    assert overall["decline_precision"] == 1.0 and overall["decline_recall"] == 0.5
    assert overall["wrongly_declined"] == 0.0
    assert overall["correct"] == pytest.approx(5 / 6, abs=1e-3)
    assert overall["f1_follow_ups"] == pytest.approx(token_f1("Water them deeply.", ["deeply"]))
    assert rep["plugins"]["kitchen"]["correct"] == 1.0
    assert [w["question"] for w in rep["worst"]] == ["When should I prune my roses?"]
    assert scripted.threads() == []  # the eval's threads are deleted afterwards


def test_eval_cli_json_and_bad_lines(
    scripted: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "_engine", lambda: scripted)
    path = _write(tmp_path, LINES[:3])  # the roses answer counts as wrong: a worst question
    assert cli.main(["eval", str(path), "--json", "--k", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["k"] == 1 and out["overall"]["questions"] == 3
    assert cli.main(["eval", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "hit@3" in printed and "worst questions:" in printed
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x", "plugin": null, "answers": []}\n{"answers": []}\n')
    assert cli.main(["eval", str(bad)]) == InputError.exit_code
    assert f"{bad}:2: not an eval line (no field 'question')" in capsys.readouterr().err
    with pytest.raises(InputError, match="needs its 'plugin'"):
        load_cases(_write(tmp_path, [{"question": "q", "answers": [], "document": "a.md"}]))


def test_eval_refuses_an_unknown_plugin_or_document_before_asking_anything(
    scripted: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A typo on the last line of a long eval file ended the run there, after every question
    before it had been answered, with an error naming neither the file nor the line."""
    monkeypatch.setattr(cli, "_engine", lambda: scripted)
    asked = len(FakeChatModel.calls)
    for bad, said in (
        ({"question": "q", "plugin": "kitchn", "answers": []}, "unknown plugin 'kitchn'"),
        (
            {"question": "q", "plugin": "garden", "answers": [], "document": "nope.md"},
            "no document 'nope.md'",
        ),
    ):
        path = _write(tmp_path, [*LINES[:2], bad])
        assert cli.main(["eval", str(path)]) == InputError.exit_code
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"frontdesk: error: {path}:3: ") and said in err, err
        assert len(err.splitlines()) == 1
    assert len(FakeChatModel.calls) == asked, "questions were answered before the bad line"


def test_a_multi_part_line_is_scored_on_every_part(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A multi-part question used to carry one plugin and a flat list of answers: routed to both
    plugins it was scored against the first one only, and one part answered made it right."""
    eng = Engine(make_settings(escalate=False), embedder=HashEmbedder())
    eng.ingest()
    both = "How long should I rest a steak, and when should I prune my roses?"
    lines = [
        {"question": both, "plugin": ["kitchen", "garden"], "answers": [["eight minutes"], []]},
        {"question": both, "plugin": ["garden", "kitchen"], "answers": [["late winter"], []]},
        {"question": both, "plugin": ["kitchen", "garden"], "answers": [["eight"], ["winter"]]},
        {"question": both, "plugin": ["kitchen", "cellar"], "answers": [["eight"], ["x"]]},
    ]
    cases = load_cases(_write(tmp_path, lines[:3]))
    assert cases[0].plugin == "kitchen" and cases[0].answers == ["eight minutes"]
    assert cases[0].group == "kitchen+garden" and cases[0].expects_decline
    results = run_eval(eng, cases, k=3)
    assert all(r.route_ok for r in results), [r.routed for r in results]
    assert all(r.hit for r in results)
    # both parts are answered, so the two lines expecting one part declined are wrong
    assert [r.correct for r in results] == [False, False, True]
    rep = report(results, k=3)
    assert set(rep["plugins"]) == {"kitchen+garden", "garden+kitchen"}
    assert rep["overall"]["decline_recall"] == 0.0 and rep["overall"]["wrongly_declined"] == 0.0
    with pytest.raises(InputError, match="unknown plugin 'cellar'"):
        check_cases(eng, load_cases(_write(tmp_path, lines[3:])), tmp_path / "eval.jsonl")
    for bad in (
        {"question": both, "plugin": ["kitchen"], "answers": [["eight"]]},
        {"question": both, "plugin": ["kitchen", "garden"], "answers": ["eight", "winter"]},
        {"question": both, "plugin": ["kitchen", "kitchen"], "answers": [[], []]},
        {"question": both, "plugin": ["kitchen", "garden"], "answers": [[]], "document": "a.md"},
    ):
        with pytest.raises(InputError, match="not an eval line"):
            load_cases(_write(tmp_path, [bad]))
