"""Wrong answers the lead still found on the example plugins (session 10,
benchmarks/data/examples_dev_qa.jsonl), each as the product gave it, on the notes' own sentences.
"""

from __future__ import annotations

from frontdesk import asked_kind, instructions
from frontdesk.answering import Candidate
from frontdesk.store import Hit

AFTER = (
    "After cooking, clean cast iron with hot water and a brush, dry it on the heat, and wipe in a "
    "drop of oil."
)
SEASON = (
    "Wash the pan, dry it fully on the hob, rub a very thin layer of neutral oil with a high smoke "
    "point (such as sunflower or flaxseed) all over, wipe off the excess until the pan looks "
    "almost dry, and bake it upside down at 230 to 250 degrees Celsius for one hour."
)


def test_an_instruction_for_the_case_asked_about_is_one() -> None:
    # "How do I clean cast iron after cooking?" quoted the seasoning steps: the notes' own answer,
    # first by the selection's scores, opens with "After cooking," and was not taken for an
    # instruction, so the next imperative sentence was lifted above it. "How do I season a cast
    # iron pan?" must still get the seasoning steps: cleaning after cooking is another case.
    clean = "How do I clean cast iron after cooking?"
    assert instructions.instruction_for(clean, AFTER)
    assert not instructions.instruction_for("How do I season a cast iron pan?", AFTER)
    assert instructions.instruction_for(
        "How often should I oil the chain in wet weather?",
        "In wet weather, oil the chain after every ride.",
    )
    for sentence in ("In winter, the chain rusts quickly.", "After cooking, the pan is still hot."):
        assert not instructions.instruction_for(
            "How do I look after a pan after cooking in winter?", sentence
        )
    hit = Hit("cooking", "c1", "knives-and-pans.html", "knives-and-pans.html", "", 0.7, AFTER)
    ranked = [Candidate(hit, AFTER, 6, 0.83, 0.41), Candidate(hit, SEASON, 3, 0.41, 0.40)]
    assert instructions.rerank(clean, ranked)[0].sentence == AFTER
    season = "How do I season a cast iron pan?"
    ranked = [Candidate(hit, AFTER, 6, 0.66, 0.23), Candidate(hit, SEASON, 3, 0.43, 0.11)]
    assert instructions.rerank(season, ranked)[0].sentence == SEASON


WHEN = (
    "Prune bush roses (hybrid teas and floribundas) in late winter or early spring, as the buds "
    "begin to swell: in most temperate gardens that is late February to mid-March."
)
TOOLS = "Use sharp bypass secateurs for stems up to 1.5 cm and loppers for thicker wood."


def test_what_to_use_is_answered_by_a_thing_to_do_it_with() -> None:
    # "What should I use to prune roses?" quoted when to prune them: the sentence most like the
    # question, above the Tools section's "Use sharp bypass secateurs …" (second here, as the
    # product ranked them).
    hit = Hit("gardening", "g1", "pruning.md", "pruning.md", "", 0.67, f"{WHEN} {TOOLS}")
    others = [
        Candidate(hit, f"Roses number {n}.", n, 0.6, 0.2 - n / 100) for n in range(1, 6)
    ]  # the Tools sentence was sixth
    ranked = [Candidate(hit, WHEN, 0, 0.62, 0.30), *others, Candidate(hit, TOOLS, 9, 0.32, 0.03)]
    for question in (
        "What should I use to prune roses?",
        "What do I cut thick branches with?",
        "Which tool cuts thick branches?",
    ):
        assert asked_kind.asks_instrument(question), question
        assert asked_kind.rerank(question, ranked)[0].sentence == TOOLS, question
    for question in ("When should I prune roses?", "What should I do with old stems?"):
        assert not asked_kind.asks_instrument(question), question
        assert asked_kind.rerank(question, ranked)[0].sentence == WHEN, question
