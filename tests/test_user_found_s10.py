"""Wrong answers found on a plugin author's own domain (session 10: a home aquarium,
benchmarks/data/newdomain_plugin, questions in benchmarks/data/newdomain_dev_qa.jsonl), each as
the product gave it. The rules are general; the aquarium is only where they were seen."""

from __future__ import annotations

from frontdesk import asked_kind, instructions, reasons
from frontdesk.answering import Candidate
from frontdesk.followup import rewrite
from frontdesk.store import Hit
from frontdesk.verify import verify

HEATER = (
    "Let a new heater stand in the tank water for 30 minutes before switching it on, because "
    "the glass may crack if it heats while cold."
)


def test_an_instruction_starting_with_let_gives_no_reason() -> None:
    # "How long should a new heater sit in the water …?" was answered "Let a new heater stand
    # in the tank water for 30 minutes before switching it on." (the model dropped the because
    # clause); "Why?" then got the same words again: their "Let" counted as a reason ("lets?").
    said = "Let a new heater stand in the tank water for 30 minutes before switching it on."
    assert not reasons.gives_reason(said)
    assert not reasons.gives_reason("2. Let out any remaining air.")
    # "lets" saying what something does is still a reason, and so is a purpose "to let"
    assert reasons.gives_reason("Resting lets the heat even out.")
    assert reasons.gives_reason("Turn it every few weeks with a fork to let air in.")
    verdict = verify(
        said, "Why should a new heater sit in the water before I switch it on?", [HEATER]
    )
    assert "glass may crack" in verdict.answer


def test_an_adverb_after_and_is_no_noun_phrase() -> None:
    assert "then" not in rewrite("And then?", "How long should I rest a steak?").split()[-2:]
    assert "steak" not in rewrite("And then?", "How long should I rest a steak?").split()[:-2]


def _ranked(text: str, sentences: list[tuple[str, float]]) -> list[Candidate]:
    hit = Hit("aquarium", "c1", "notes.md", "notes.md", "", 0.6, text)
    return [Candidate(hit, s, i, sim, 0.5 - i / 10) for i, (s, sim) in enumerate(sentences)]


def test_a_sentence_whose_clause_after_a_colon_says_what_to_do_answers_how_to() -> None:
    # "How do I get rid of green water?" was answered with the brown water's sentence: the green
    # one states what to do only after its colon, and "Brown tinted water comes …" passed for an
    # instruction ("Brown the onions").
    green = (
        "Green water is free-floating algae, caused by too much light or too many nutrients: "
        "cut the light and feed less."
    )
    brown = "Brown tinted water comes from tannins in driftwood; it is harmless and clears with water changes."
    ranked = _ranked(f"Cloudy water\n{green} {brown}", [(green, 0.66), (brown, 0.39)])
    assert instructions.rerank("How do I get rid of green water?", ranked)[0].sentence == green


def test_a_state_reached_when_something_happens_is_the_test_asked_for() -> None:
    # "How do I know when my tank is cycled?" was answered "Test once a week …"
    cycled = (
        "The tank is cycled when it turns 2 ppm of ammonia into zero ammonia and zero nitrite "
        "within 24 hours."
    )
    test = "Test once a week in an established tank and every two days in a new or sick tank."
    ranked = _ranked(f"{test} {cycled}", [(test, 0.54), (cycled, 0.59)])
    assert (
        instructions.rerank("How do I know when my tank is cycled?", ranked)[0].sentence == cycled
    )


def test_what_ph_asks_for_a_value() -> None:
    # "What pH do most aquarium fish like?" was answered with the sentence about pH swings
    swing = "Fish adapt to a pH slightly outside their ideal range, but a fast swing stresses them."
    value = "Most community fish are happy at a pH between 6.5 and 7.5."
    ranked = _ranked(f"{swing} {value}", [(swing, 0.65), (value, 0.74)])
    assert asked_kind.rerank("What pH do most aquarium fish like?", ranked)[0].sentence == value
    verdict = verify(
        "Fish like a pH they can adapt to.", "What pH do most aquarium fish like?", [swing, value]
    )
    assert "6.5" in verdict.answer
