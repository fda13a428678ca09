"""Evidence-first specialist answers: selection, claim checks and repair, honest gaps, escalation.

Fake chat models (frontdesk.testing) and bag-of-words embeddings; the real bundled model is in
test_answers_integration.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from frontdesk import answering, escalation
from frontdesk.declines import is_decline
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.store import Hit
from frontdesk.testing import FakeChatModel, HashEmbedder
from frontdesk.verify import check_claim, verify

from .conftest import write_plugin

# The README example's chunk, as the cooking plugin holds it (wrapped lines and all).
RESTING = (
    "## How long to rest\n"
    "A thin steak (about 2 cm) needs about 5 minutes of rest. A thick steak (4 cm or more) "
    "needs 8 to\n10 minutes. A whole roast, such as a leg of lamb or a rib of beef, should rest "
    "15 to 30 minutes,\nloosely covered with foil so that it does not steam and lose its crust. "
    "A whole roast chicken\nrests about 15 minutes.\n"
)
STEAK_FACTS = [
    "A thin steak (about 2 cm) needs about 5 minutes of rest.",
    "A thick steak (4 cm or more) needs 8 to 10 minutes.",
]
STEAK_Q = "How long should I rest a steak?"


def test_steak_answered_with_the_roast_time_is_replaced_by_the_quoted_evidence() -> None:
    verdict = verify("15 to 30 minutes", STEAK_Q, STEAK_FACTS)
    assert not verdict.supported and verdict.repaired
    assert "15" not in verdict.answer and "30" not in verdict.answer
    assert "5 minutes" in verdict.answer and "8 to 10 minutes" in verdict.answer
    assert verdict.answer.startswith("“")
    assert "number 15 is not in the evidence" in verdict.problems[0]


def test_a_claim_the_evidence_supports_is_kept_as_the_model_said_it() -> None:
    said = "Rest a thin steak for about 5 minutes."
    verdict = verify(said, STEAK_Q, STEAK_FACTS)
    assert verdict.supported and not verdict.repaired and verdict.answer == said


@pytest.mark.parametrize(
    ("claim", "why"),
    [
        ("A thin steak needs about 5 hours of rest.", "not what the evidence says about 5"),
        ("A thin steak needs twenty minutes of rest.", "number 20 is not in the evidence"),
        ("A thin steak does not need any rest.", "flips a negation"),
        ("You should rest a steak.", "restates the question"),
        ("Wrap the steak in a wet towel and chill it overnight.", "key terms"),
    ],
)
def test_unsupported_claims_are_named(claim: str, why: str) -> None:
    problem = check_claim(claim, STEAK_Q, STEAK_FACTS)
    assert problem is not None and why in problem


def test_only_the_unsupported_claim_is_dropped() -> None:
    said = "A thick steak needs 8 to 10 minutes. A roast needs an hour in the fridge."
    verdict = verify(said, STEAK_Q, STEAK_FACTS)
    assert verdict.repaired and verdict.answer == "A thick steak needs 8 to 10 minutes."


def test_sentences_are_not_cut_at_wrapped_lines() -> None:
    sentences = answering.split_sentences(RESTING)
    assert "A thick steak (4 cm or more) needs 8 to 10 minutes." in sentences
    assert not any(s.startswith("#") or s.startswith("How long") for s in sentences)


def test_selection_prefers_the_sentence_with_what_was_asked_and_the_exact_option() -> None:
    text = (
        "git reset moves the current branch. With --soft the index and the working tree are "
        "left alone. With --hard both are overwritten. Resetting is often used to undo commits."
    )
    hit = Hit("git", "c1", "reset.md", "reset.md", "", 0.9, text)
    sel = answering.select("What does --soft do?", [hit], HashEmbedder())
    assert sel.best is not None and "--soft" in sel.best.sentence


def test_a_follow_up_moves_forward_from_the_previous_answer() -> None:
    # Without the previous answer the two year sentences are alike; with it, the next one wins.
    text = (
        "She studied law in Paris. In 1990 she joined a small firm. "
        "In 1995 she opened her own firm. In 2001 she retired to the coast."
    )
    hit = Hit("bio", "c1", "bio.md", "bio.md", "", 0.9, text)
    sel = answering.select(
        "what happened next?", [hit], HashEmbedder(), previous="In 1990 she joined a small firm."
    )
    assert sel.best is not None and sel.best.sentence.startswith("In 1995")


@pytest.fixture
def cooking(tmp_path: Path) -> Path:
    root = tmp_path / "cooking-plugins"
    write_plugin(
        root,
        "cooking",
        "Cooking: resting meat, steaks and roasts.",
        [STEAK_Q],
        {"resting.md": "# Resting meat\n\n" + RESTING},
        model="fake:script",
    )
    return root


def _engine(make_settings: Callable[..., Settings], root: Path, **overrides: object) -> Engine:
    eng = Engine(make_settings(plugins_path=str(root), **overrides), embedder=HashEmbedder())
    eng.ingest()
    return eng


def test_the_readme_steak_question_never_shows_the_roast_time(
    make_settings: Callable[..., Settings], cooking: Path
) -> None:
    eng = _engine(make_settings, cooking)
    FakeChatModel.enqueue("15 to 30 minutes")
    events = list(eng.stream(STEAK_Q, plugin="cooking"))
    answer = events[-1].data
    assert answer["route"]["mode"] == "specialist"
    assert "15" not in answer["answer"] and "30" not in answer["answer"]
    assert "5 minutes" in answer["answer"] and answer["answer"].startswith("“")
    assert answer["citations"][0]["source"] == "resting.md"
    assert answer["consults"][0]["grounding"]["generated"] == "15 to 30 minutes"
    # Nothing unchecked was streamed: the tokens add up to the checked answer.
    shown = "".join(e.data["text"] for e in events if e.kind == "token" and e.data["answer"])
    assert shown == answer["answer"]


def test_a_question_the_notes_do_not_cover_gets_one_honest_sentence_and_the_closest_passages(
    make_settings: Callable[..., Settings], cooking: Path
) -> None:
    # Same model for both roles: escalating cannot help, so the specialist's answer stands.
    eng = _engine(make_settings, cooking, coordinator_model="fake:script")
    answer = eng.ask("Which bank holidays close the stock exchange in Tokyo?", plugin="cooking")
    assert is_decline(answer.answer)
    assert answer.answer.startswith("The cooking notes don't cover")
    assert answer.route["mode"] == "specialist" and not answer.reached_coordinator
    assert FakeChatModel.calls == []  # no model was asked to invent anything
    assert answer.citations and answer.citations[0]["source"] == "resting.md"


def test_a_gap_is_escalated_when_the_coordinator_is_a_different_model(
    make_settings: Callable[..., Settings], cooking: Path
) -> None:
    eng = _engine(make_settings, cooking, coordinator_model="fake:echo")
    answer = eng.ask("Which bank holidays close the stock exchange in Tokyo?", plugin="cooking")
    assert answer.route["mode"] == "escalated" and answer.answer.startswith("echo:")
    assert "don't cover" in answer.route["reason"]


@pytest.mark.parametrize(
    ("coordinator", "specialist", "helps"),
    [
        ("llamacpp:smollm2", "llamacpp:smollm2", False),
        ("ollama:qwen2.5:7b@http://gpu:11434", "ollama:qwen2.5:7b@http://gpu:11434", False),
        ("openai:gpt-4o-mini", "llamacpp:smollm2", True),
        ("ollama:qwen2.5:7b", "llamacpp:smollm2", True),
        ("llamacpp:/models/big.gguf", "llamacpp:smollm2", True),
    ],
)
def test_escalation_only_where_the_coordinator_can_know_more(
    coordinator: str, specialist: str, helps: bool
) -> None:
    assert escalation.helps(coordinator, specialist) is helps


def test_a_question_in_the_notes_is_never_the_answer() -> None:
    text = "Can I freeze cooked rice? Yes: cool it within an hour and freeze it in flat bags."
    hit = Hit("cooking", "c1", "rice.md", "rice.md", "", 0.9, text)
    sel = answering.select("Can I freeze cooked rice?", [hit], HashEmbedder())
    assert sel.best is not None and sel.best.sentence.startswith("Yes")


def test_a_plain_text_title_is_no_sentence() -> None:
    # Seen in the CLI: "Can I compost citrus peel?" was answered “Soil and compost”, the title
    # line of a .txt note, selected as if it were a statement.
    text = (
        "Soil and compost\n\nStarting a compost heap\nChoose a spot on bare soil, in part shade, "
        "so worms can move in. Build the heap from a mix of\ngreen and brown materials.\n\n"
        "Greens are rich in nitrogen\ngrass clippings and coffee grounds. Turn it often.\n"
    )
    sentences = answering.split_sentences(text)
    assert sentences[0] == "Choose a spot on bare soil, in part shade, so worms can move in."
    assert "Soil and compost" not in sentences
    # a wrapped line that goes on in lower case is part of its sentence
    assert "Greens are rich in nitrogen grass clippings and coffee grounds." in sentences


def test_a_number_of_another_thing_is_no_answer_to_how_much() -> None:
    # Seen in the CLI: "How much salt goes in bread dough?" → "The room was cold: below 18 °C
    # dough rises very slowly." (the model's invented "20%" dropped, the runner-up kept).
    question = "How much salt goes in bread dough?"
    recipe = "A simple loaf uses 500 g flour, 350 g water, 7 g yeast and 10 g salt."
    cold = "The room was cold: below 18 °C dough rises very slowly."
    said = "The room was cold: below 18 °C dough rises very slowly. Salt is about 20% by weight."
    verdict = verify(said, question, [cold, recipe])
    assert verdict.repaired and verdict.answer == f"“{recipe}”"
    assert verify("Use 10 g of salt.", question, [cold, recipe]).supported
    # A runner-up's number is the answer when it is about what was asked (chain wear, not the
    # replacement limit the selection ranked first; slugs feeding, not the beer trap's 1 cm).
    wear = ["Replace a chain at 0.5 percent wear.", "Measure chain wear every 1000 km."]
    said = "Measure chain wear every 1000 km."
    assert verify(said, "How often should I measure chain wear?", wear).supported
    slugs = ["Beer traps with the rim 1 cm above ground catch slugs.", "Slugs feed at night."]
    assert verify("Slugs feed at night.", "When do slugs feed?", slugs).supported


@pytest.mark.parametrize(
    ("claim", "ok"),
    [
        ("Cooked leftovers can keep up to three days in the fridge.", False),  # seen in a run
        ("Cooked leftovers keep three to four days in the fridge.", True),
        ("Leftovers keep 3-4 days.", True),
        ("A thick steak needs 8 minutes.", False),
        ("A whole roast chicken rests about 15 minutes.", True),  # 15 stands alone there too
    ],
)
def test_one_end_of_a_range_is_not_what_the_evidence_says(claim: str, ok: bool) -> None:
    facts = [
        "Most cooked leftovers keep three to four days in a fridge at 4 °C or below.",
        "A thick steak (4 cm or more) needs 8 to 10 minutes.",
        "A whole roast should rest 15 to 30 minutes. A whole roast chicken rests about 15 minutes.",
    ]
    problem = check_claim(claim, "How long?", facts)
    assert (problem is None) == ok, problem


def test_an_escalated_answer_the_notes_do_not_support_is_the_general_models(
    make_settings: Callable[..., Settings], cooking: Path
) -> None:
    """Audit, session 10: the coordinator's escalated answer was never checked, yet it carried the
    specialist's citations whenever it shared a word with them (an invented "squeezing two pairs
    of spokes" was shown as the notes' answer)."""
    gap = "Which bank holidays close the stock exchange in Tokyo?"
    invented = "Rest the steak for 45 minutes under foil before the holidays."
    eng = _engine(make_settings, cooking, coordinator_model="fake:tools")
    FakeChatModel.enqueue(invented)
    answer = eng.ask(gap, plugin="cooking")
    assert answer.route["mode"] == "escalated" and answer.answer == invented
    assert answer.citations == [] and answer.route["origin"] == "general"
    assert "not supported by the cooking notes" in answer.route["reason"]
    # A deployment that declines the general model's answers keeps the specialist's own.
    eng = _engine(make_settings, cooking, coordinator_model="fake:tools", off_topic="decline")
    FakeChatModel.enqueue(invented)
    answer = eng.ask(gap, plugin="cooking")
    assert answer.answer.startswith("The cooking notes don't cover") and "45" not in answer.answer
    assert answer.citations and answer.route["origin"] == "knowledge"
    # One the notes support keeps their citations.
    FakeChatModel.enqueue("A thin steak needs about 5 minutes of rest.")
    answer = eng.ask(gap, plugin="cooking")
    assert answer.route["mode"] == "escalated" and answer.citations
    assert answer.route["origin"] == "knowledge"
