"""Wrong answers found on a plugin author's own domain (session 10: a home aquarium,
benchmarks/data/newdomain_plugin, questions in benchmarks/data/newdomain_dev_qa.jsonl), each as
the product gave it. The rules are general; the aquarium is only where they were seen."""

from __future__ import annotations

from frontdesk import reasons
from frontdesk.followup import rewrite
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
