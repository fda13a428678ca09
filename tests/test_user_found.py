"""Wrong answers found by asking the example plugins new questions (session 6,
benchmarks/data/examples_dev_qa.jsonl), each as the product gave it, on the notes' own sentences.
"""

from __future__ import annotations

from frontdesk import answering, reference, specialist
from frontdesk.store import Hit
from frontdesk.testing import HashEmbedder
from frontdesk.verify import check_claim, verify

STARTER = [
    "A sourdough starter replaces commercial yeast.",
    "Feed it equal weights of flour and water once a day at room temperature, or once a week if "
    "kept in the fridge.",
]


def test_how_often_is_answered_by_a_frequency_said_in_words() -> None:
    # "How often should I feed a sourdough starter?" → “A sourdough starter replaces commercial
    # yeast.”: "once a day" was no answer to "how often" (no digit in it).
    question = "How often should I feed a sourdough starter?"
    assert answering.question_type(question) == "frequency"
    assert answering.has_type("frequency", STARTER[1])
    assert answering.has_type("frequency", "Check pressure every week with a gauge.")
    assert not answering.has_type("frequency", STARTER[0])
    verdict = verify("A sourdough starter replaces commercial yeast.", question, STARTER)
    assert verdict.repaired and "once a day" in verdict.answer
    assert verify("Feed it once a day at room temperature.", question, STARTER).supported


def test_how_long_is_not_answered_by_a_temperature() -> None:
    # "How long does a loaf bake?" → "The bread is done when the centre reads 96 °C." passed:
    # it holds a number, but no length of time, and the evidence gives one.
    facts = [
        "Bake at 230 °C for 30 to 35 minutes.",
        "The loaf is done when the base sounds hollow when tapped, or when the centre reads 96 °C.",
    ]
    question = "How long does a loaf bake?"
    verdict = verify("The bread is done when the centre reads 96 °C.", question, facts)
    assert verdict.repaired and "30 to 35 minutes" in verdict.answer
    assert verify("Bake it for 30 to 35 minutes.", question, facts).supported
    # a "how long" the evidence answers with no time stays answerable by a number
    rim = ["Tyre levers go under the bead about 10 cm apart."]
    assert verify("About 10 cm apart.", "How long a gap between the levers?", rim).supported


RESTING = (
    "# Resting and cooking meat\n\n## Why meat needs to rest\n"
    "When a steak or roast comes off the heat, the outer layers are much hotter than the centre.\n"
    "Resting lets the heat even out and lets the juices settle back into the muscle fibres.\n\n"
    "## How long to rest\n"
    "A thin steak (about 2 cm) needs about 5 minutes of rest. A thick steak (4 cm or more) needs "
    "8 to 10 minutes.\n"
)


def test_why_keeps_the_reason_in_the_evidence_and_the_answer() -> None:
    # "Why does meat need to rest?" → "A thin steak needs about 5 minutes of rest." (supported:
    # true, and no reason). The reason ranked first, then left the evidence because the thin
    # steak's sentence holds more of the question's words ("rest").
    hit = Hit("cooking", "c1", "resting.md", "resting.md", "", 0.7, RESTING)
    question = "Why does meat need to rest?"
    sel = answering.select(question, [hit], HashEmbedder())
    said = [c.sentence for c in sel.evidence()]
    assert any(s.startswith("Resting lets the heat even out") for s in said), said
    thin = "A thin steak (about 2 cm) needs about 5 minutes of rest."
    verdict = verify("A thin steak needs about 5 minutes of rest.", question, [*said, thin])
    assert verdict.repaired and "lets the heat even out" in verdict.answer
    reason = "Resting lets the heat even out."
    assert verify(reason, question, [*said, thin]).supported


def test_why_after_a_quote_that_held_the_reason_gives_that_reason() -> None:
    # "Should I cover a roast while it rests?" → the roast sentence quoted ("… loosely covered
    # with foil so that it does not steam …"); "Why?" → “A whole roast chicken rests about 15
    # minutes.”: the sentence giving the reason was left out for being said already.
    text = (
        "## How long to rest\nA whole roast should rest 15 to 30 minutes, loosely covered with "
        "foil so that it does not steam and lose its crust. A whole roast chicken rests about 15 "
        "minutes.\n"
    )
    hit = Hit("cooking", "c1", "resting.md", "resting.md", "", 0.7, text)
    previous = (
        "“A whole roast should rest 15 to 30 minutes, loosely covered with foil so that it does "
        "not steam and lose its crust.”"
    )
    sel = answering.select(
        "Why should I cover a roast while it rests?", [hit], HashEmbedder(), previous
    )
    assert sel.best is not None and "so that it does not steam" in sel.best.sentence


def test_a_plural_thing_asked_about_that_no_chunk_mentions_is_declined() -> None:
    # "When should I prune apple trees?" → "Prune apple trees in late winter or early spring" (the
    # bush roses' times): "apple trees" has no determiner, so the unseen-subject rule passed it.
    hits = [
        Hit(
            "garden", "c1", "pruning.md", "pruning.md", "", 0.6, "Prune bush roses in late winter."
        ),
        Hit("garden", "c2", "pruning.md", "pruning.md", "", 0.5, "Use sharp secateurs."),
    ]
    assert reference.unseen_subject("When should I prune apple trees?", hits) == "trees"
    assert reference.unseen_subject("When should I prune bush roses?", hits) is None
    assert reference.unseen_subject("When should garlic be planted?", hits) is None


def test_what_the_evidence_says_of_one_thing_is_not_said_of_the_other() -> None:
    # "My new chain skips on the old cassette. What does that mean?" → "… means your brand-new
    # chain is worn too and must be replaced." passed (every word is in the evidence); the notes
    # say the *cassette* is worn too.
    facts = [
        "If the chain jumps or skips when you pedal hard, the usual causes are, in order: a worn "
        "chain on a worn cassette, cable tension that is slightly off, or a bent rear derailleur "
        "hanger.",
        "A new chain that skips on an old cassette means the cassette is worn too and must be "
        "replaced.",
    ]
    question = "My new chain skips on the old cassette. What does that mean?"
    said = "A new chain that skips on the old cassette means your brand-new chain is worn too."
    problem = check_claim(said, question, facts)
    assert problem is not None and "cassette" in problem, problem
    right = "It means the cassette is worn too and must be replaced."
    assert check_claim(right, question, facts) is None
    # another word for the same thing ("bread" for "loaf") is no swap: the claim never names it
    loaf = ["The loaf is done when the base sounds hollow when tapped."]
    assert (
        check_claim("The bread is done when it sounds hollow.", "When is bread done?", loaf) is None
    )


def _ranked(question: str, scored: list[tuple[str, float]]) -> answering.Selection:
    hit = Hit("cycling", "c1", "notes.md", "notes.md", "", 0.7, " ".join(s for s, _ in scored))
    ranked = [answering.Candidate(hit, s, i, 0.5, p) for i, (s, p) in enumerate(scored)]
    return answering.Selection(ranked, 0.9, True, question)


def test_a_sentence_holding_what_was_asked_is_not_evicted_by_one_sharing_more_words() -> None:
    # "How often should I check my tyre pressure?" → “Press each tyre with your thumb, or better,
    # check the pressure with a gauge.”: the close runner-up saying "every week" was dropped for
    # holding fewer of the question's words (tyre).
    sel = _ranked(
        "How often should I check my tyre pressure?",
        [
            ("Press each tyre with your thumb, or better, check the pressure with a gauge.", 0.22),
            ("Check pressure every week with a gauge; tyres lose air slowly.", 0.15),
        ],
    )
    assert any("every week" in c.sentence for c in sel.evidence())


def test_the_kind_the_question_names_is_answered_not_the_other_kinds() -> None:
    # "How do I prune rambling roses?" → the bush and the climbing roses' sentences, quoted;
    # the one naming rambling roses scored just below them and was left out.
    sel = _ranked(
        "How do I prune rambling roses?",
        [
            ("Prune bush roses in late winter or early spring.", 0.30),
            ("Climbing roses are pruned after they flower in summer.", 0.28),
            (
                "Rambling roses flower on last year's wood, so cut out a third of the oldest stems.",
                0.26,
            ),
        ],
    )
    said = [c.sentence for c in sel.evidence()]
    assert said == [
        "Rambling roses flower on last year's wood, so cut out a third of the oldest stems."
    ]
    # a question that names no kind keeps what it had
    plain = _ranked(
        "How do I prune roses?", [(s, p) for s, p in [(c.sentence, c.score) for c in sel.ranked]]
    )
    assert len(plain.evidence()) >= 2


def test_a_thing_named_as_one_thing_has_no_other_kinds() -> None:
    # Seen when the rule above first ran on the dev questions: "How many times can I reheat
    # cooked rice?" lost "Cool rice … reheat it only once" ("cool rice" read as another kind),
    # and "Which chain lube should I use in winter?" lost "Use wet lube in winter …".
    rice = _ranked(
        "How many times can I reheat cooked rice?",
        [
            ("Cool rice within one hour, and reheat it only once.", 0.30),
            ("If cooked rice is left warm, the spores make a toxin.", 0.25),
        ],
    )
    assert any("only once" in c.sentence for c in rice.evidence())
    lube = _ranked(
        "Which chain lube should I use in winter?",
        [
            ("Use wet lube in winter and dry lube in dry summer conditions.", 0.30),
            ("Put one drop of chain lube on each roller.", 0.25),
        ],
    )
    assert any("wet lube" in c.sentence for c in lube.evidence())


def test_the_verb_after_what_is_no_thing_asked_about() -> None:
    # "What happens if my saddle is too high?" was declined: the subject found was "happens",
    # which no chunk mentions; the notes say "one that is too high makes the hips rock".
    hits = [
        Hit(
            "cycling",
            "c1",
            "fit.md",
            "fit.md",
            "",
            0.5,
            "A saddle that is too low strains the knee; one that is too high makes the hips rock.",
        )
    ]
    assert reference.unseen_subject("What happens if my saddle is too high?", hits) is None
    assert reference.unseen_subject("What happens to bread dough in a cold room?", hits) is None
    assert reference.unseen_subject("When should I prune hydrangeas?", hits) == "hydrangeas"


def test_a_schedule_heading_answers_how_often() -> None:
    # "How often should I check the bolts on my bike?" → “Check all bolts with a torque wrench
    # …” quoted: true, but the "every month" is the section's title, not in the sentence.
    text = (
        "Every week or every 200 km\n\nWipe the chain and oil it if it looks dry.\n\n"
        "Every month\n\nCheck all bolts with a torque wrench at the values printed beside them, "
        "as low as 5 Nm. "
        "Check brake pad wear.\n"
    )
    hit = Hit("cycling", "c1", "schedule.html", "schedule.html", "", 0.6, text)
    # (seen: the sentence's "5 Nm" counted as saying how often)
    sentence = (
        "Check all bolts with a torque wrench at the values printed beside them, as low as 5 Nm."
    )
    evidence = [answering.Candidate(hit, sentence, 1, 0.6, 0.3)]
    question = "How often should I check the bolts on my bike?"
    assert specialist.titled(question, evidence) == [f"Every month: {sentence}"]
    # a sentence giving what was asked, or a question of another kind, stays as it is
    assert specialist.titled("How do I check the bolts?", evidence) == [sentence]
    said = specialist.verified(
        "cycling",
        question,
        "Check the bolts with a torque wrench.",
        answering.Selection(evidence, 0.9, True, question),
        evidence,
        0.6,
        lambda h: {},
    )
    assert "Every month" in said["answer"]


def test_what_thing_should_i_do_to_what_names_two_things_either_unseen_declines() -> None:
    # "What oil temperature should I fry chips at?" → the pan seasoning sentence (oil, 230 to
    # 250 degrees), and "What frame size do I need for my height?" → "Change height in steps of
    # 5 mm.": the notes never mention chips, nor a size.
    oil = Hit(
        "cooking",
        "c1",
        "pans.html",
        "pans.html",
        "",
        0.5,
        "Rub a thin layer of oil over the pan and bake it at 230 to 250 degrees Celsius. "
        "Bake bread at 230 °C; hone a knife at 15 degrees; the oil temperature matters.",
    )
    assert reference.unseen_subject("What oil temperature should I fry chips at?", [oil]) == "chips"
    assert reference.unseen_subject("At what temperature should I bake bread?", [oil]) is None
    assert reference.unseen_subject("Which oil should I use in winter?", [oil]) is None
    # the measure asked for is no thing asked about (seen on the test set: "angle" declined)
    assert reference.unseen_subject("At what angle should I hone a knife?", [oil]) is None
    fit = Hit(
        "cycling", "c2", "fit.md", "fit.md", "", 0.5, "Change saddle height in steps of 5 mm."
    )
    assert reference.unseen_subject("What frame size do I need for my height?", [fit]) == "frame"


def test_the_dev_questions_are_new_and_well_formed() -> None:
    from pathlib import Path

    from frontdesk.evaluate import load_cases

    data = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
    dev = load_cases(data / "examples_dev_qa.jsonl")
    test = {c.question.lower() for c in load_cases(data / "examples_qa.jsonl")}
    assert len(dev) >= 40 and not {c.question.lower() for c in dev} & test
    assert {c.plugin for c in dev} == {"cooking", "cycling", "gardening"}
    assert any(c.thread for c in dev) and any(not c.answers for c in dev)
