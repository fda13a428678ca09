"""Wrong answers a user still found on the example plugins (session 8,
benchmarks/data/examples_dev_qa.jsonl), each as the product gave it, on the notes' own sentences.
"""

from __future__ import annotations

from frontdesk import answering, asked_kind, durations, followup, instructions, unseen
from frontdesk.store import Hit
from frontdesk.verify import verify

KNIFE = (
    "Sharpen on a whetstone every one to three months for a home cook: start on a coarse grit "
    "(around 1000) until you feel a burr along the whole edge, then refine on a fine grit (3000 "
    "to 6000)."
)
HEADSET = (
    "Have the wheel bearings, headset and bottom bracket checked for play and roughness: hold the "
    "front brake and rock the bike back and forth; a knock means the headset is loose."
)


def test_one_invented_word_among_supported_ones_is_not_supported() -> None:
    # "How do I sharpen a kitchen knife?" → "Sharpen a knife on the edge of your shatter, …" and
    # "How do I know when my headset is loose?" → "Check your headset for loose bolts …" passed
    # the 70% key-term share (one word of five, of four, not in the evidence).
    said = (
        "Sharpen a knife on the edge of your shatter, then refine it with fine grit (3000 to 6000)."
    )
    verdict = verify(said, "How do I sharpen a kitchen knife?", [KNIFE])
    assert not verdict.supported and "shatter" not in verdict.answer
    assert "whetstone" in verdict.answer
    question = "How do I know when my headset is loose?"
    said = "Check your headset for loose bolts and check the wheel bearings."
    verdict = verify(said, question, [HEADSET])
    assert not verdict.supported and "bolts" not in verdict.answer
    # a paraphrase's own wording ("make sure", "best") is no invented thing
    said = "It is best to refine the edge on a fine grit (3000 to 6000)."
    assert verify(said, "How do I sharpen a kitchen knife?", [KNIFE]).supported


ROSES = (
    "Rambling roses flower on last year's wood, so cut out a third of the oldest stems right "
    "after flowering."
)


def test_a_share_the_evidence_gives_is_not_dropped() -> None:
    # "How do I prune rambling roses?" → "Prune rambling roses by removing the oldest stems right
    # after flowering." (all of them: the notes say a third of them)
    question = "How do I prune rambling roses?"
    said = "Prune rambling roses by removing the oldest stems right after flowering."
    verdict = verify(said, question, [ROSES])
    assert not verdict.supported and "a third of the oldest stems" in verdict.answer
    assert verify(
        "Cut out a third of the oldest stems after flowering.", question, [ROSES]
    ).supported


def _hit(text: str, source: str = "notes.md", chunk: str = "c1") -> Hit:
    return Hit("p", chunk, source, source, "", 0.5, text)


def test_what_the_question_asks_about_is_unseen_in_the_notes() -> None:
    meat = _hit(
        "A thick steak (4 cm or more) needs 8 to 10 minutes. Dry the surface with paper towel "
        "and salt it at least 40 minutes ahead or just before cooking."
    )
    # a part of "How far ahead should I salt a steak, and what do I cut thick branches with?"
    # routed to cooking: the steaks' rest times answered it
    assert unseen.unseen("What do I cut thick branches with?", [meat]) == "branches"
    assert unseen.unseen("What do I salt a steak with?", [meat]) is None
    wheels = _hit(HEADSET + " Check the wheels for loose spokes by squeezing pairs of spokes.")
    # "How do I true a buckled wheel?": neither "true" nor "buckled" is in the notes
    assert unseen.unseen("How do I true a buckled wheel?", [wheels]) == "buckled"
    # the action alone, or the kind alone, unseen is still a question the notes may answer
    assert unseen.unseen("How do I check a loose wheel?", [wheels]) is None
    assert unseen.unseen("How do I fix a loose wheel?", [wheels]) is None
    # "Why should I store my bike out of the sun?" was declined: "sun" only in "sunlight"
    storing = _hit("Keep a bicycle dry and out of direct sunlight, which perishes tyres.")
    assert unseen.in_compound("sun", [storing]) and unseen.seen("sun", [storing])
    assert not unseen.in_compound("rain", [storing])


def test_a_part_about_something_the_notes_never_name_is_not_covered() -> None:
    from frontdesk.testing import HashEmbedder

    hits = [
        _hit(
            "A thick steak (4 cm or more) needs 8 to 10 minutes. Dry the surface with paper "
            "towel and salt it at least 40 minutes ahead or just before cooking.",
            chunk="c1",
        ),
        _hit("A thin steak (about 2 cm) needs about 5 minutes of rest.", chunk="c2"),
    ]
    question = "How far ahead should I salt a steak, and what do I cut thick branches with?"
    sel = answering.select(question, hits, HashEmbedder())
    assert [p.question for p in sel.parts][1] == "What do I cut thick branches with?"
    assert not sel.parts[1].covered
    # one sentence selected by two parts is evidence once
    said = [c.position for c in sel.evidence()]
    assert len(said) == len(set(said))


def test_a_why_with_a_phrase_asks_the_question_before_it() -> None:
    # "How should I store my bike over winter?" then "Why out of the sun?" went to the
    # coordinator ("I'm ready to assist you. What's your question?")
    assert followup.is_followup("Why out of the sun?")
    previous = "How should I store my bike over winter?"
    assert (
        followup.rewrite("Why out of the sun?", previous)
        == "Why should I store my bike out of the sun?"
    )
    # a why with a verb of its own is a question of its own
    assert not followup.is_followup("Why in the world is the sky blue?")


def _ranked(rows: list[tuple[str, float, float]], text: str) -> list[answering.Candidate]:
    hit = _hit(text)
    return [answering.Candidate(hit, s, text.index(s), sim, score) for s, sim, score in rows]


def test_how_far_ahead_is_answered_by_a_lead_time() -> None:
    text = (
        "A thin steak (about 2 cm) needs about 5 minutes of rest. A thick steak (4 cm or more) "
        "needs 8 to 10 minutes. Dry the surface with paper towel and salt it at least 40 minutes "
        "ahead or just before cooking."
    )
    question = "How far ahead should I salt a steak?"
    ranked = _ranked(
        [
            ("A thick steak (4 cm or more) needs 8 to 10 minutes.", 0.578, 0.243),
            ("A thin steak (about 2 cm) needs about 5 minutes of rest.", 0.508, 0.197),
            (
                "Dry the surface with paper towel and salt it at least 40 minutes ahead or just "
                "before cooking.",
                0.408,
                0.049,
            ),
        ],
        text,
    )
    ranked = durations.rerank(question, ranked)
    sel = answering.Selection(ranked, 0.9, True, question)
    assert [c.sentence[:14] for c in sel.evidence()] == ["Dry the surfac"]


COMPOST = (
    "Keep the heap as moist as a wrung-out sponge and turn it every few weeks with a fork to let "
    "air in. A well-managed heap gives crumbly dark compost in six to twelve months."
)
SPONGE = (
    "Keep the heap as moist as a wrung-out sponge and turn it every few weeks with a fork to let "
    "air in."
)
MONTHS = "A well-managed heap gives crumbly dark compost in six to twelve months."


def test_how_wet_and_how_often_are_answered_by_what_says_it() -> None:
    # "How wet should it be?" (a compost heap) and "How often should I turn it?" were both
    # answered "A well-managed heap gives crumbly dark compost in six to twelve months."
    for question in ("How wet should the compost heap be?", "How often should I turn the heap?"):
        ranked = _ranked([(MONTHS, 0.636, 0.322), (SPONGE, 0.520, 0.199)], COMPOST)
        sel = answering.Selection(asked_kind.rerank(question, ranked), 0.9, True, question)
        assert SPONGE in [c.sentence for c in sel.evidence()], question
    assert not asked_kind.gives("How often should I turn the heap?", MONTHS)
    verdict = verify(
        "The compost heap should be kept as dry as a wicker ball.",
        "How wet should the compost heap be?",
        [SPONGE],
    )
    assert not verdict.supported and "wrung-out sponge" in verdict.answer


SLUGS = (
    "Slugs feed at night and in damp weather. Go out after dark with a torch and pick them off; "
    "two or three evenings after rain remove most of the population. Beer traps sunk into the "
    "soil with the rim 1 cm above ground catch many slugs."
)


def test_how_often_after_slugs_is_answered_by_the_evenings() -> None:
    # "How do I get rid of slugs?" then "How often?": the evenings' sentence was not selected
    question = "How often do I get rid of slugs?"
    ranked = _ranked(
        [
            ("Slugs feed at night and in damp weather.", 0.589, 0.141),
            (
                "Go out after dark with a torch and pick them off; two or three evenings after "
                "rain remove most of the population.",
                0.314,
                0.068,
            ),
            (
                "Beer traps sunk into the soil with the rim 1 cm above ground catch many slugs.",
                0.367,
                0.043,
            ),
        ],
        SLUGS,
    )
    sel = answering.Selection(asked_kind.rerank(question, ranked), 0.9, True, question)
    assert any("two or three evenings" in c.sentence for c in sel.evidence())


BREAD = (
    "Leave the dough covered until it has doubled in size. The room was cold: below 18 °C dough "
    "rises very slowly. It is ready when a floured finger pressed into the dough leaves a dent "
    "that springs back slowly."
)


def test_how_can_i_tell_is_answered_by_the_test() -> None:
    # "How can I tell if bread dough has proved enough?" → "Leave the dough covered until it has
    # doubled in size." (an instruction with a condition; the notes' test is the dent)
    question = "How can I tell if bread dough has proved enough?"
    ready = (
        "It is ready when a floured finger pressed into the dough leaves a dent that springs "
        "back slowly."
    )
    ranked = _ranked(
        [
            ("Leave the dough covered until it has doubled in size.", 0.521, 0.112),
            ("The room was cold: below 18 °C dough rises very slowly.", 0.400, 0.112),
            (ready, 0.446, 0.042),
        ],
        BREAD,
    )
    sel = answering.Selection(instructions.rerank(question, ranked), 0.9, True, question)
    assert [c.sentence for c in sel.evidence()] == [ready]


def test_parts_that_clearly_belong_to_two_plugins_go_to_both() -> None:
    # "How far ahead should I salt a steak, and what do I cut thick branches with?" scored 0.35
    # as a whole (no plugin confident) and went to cooking alone; each part on its own was clear
    # (the product's scores on the example plugins)
    from frontdesk import routing_parts
    from frontdesk.router import PluginScore, Thresholds

    def t(name: str) -> Thresholds:
        return Thresholds(accept=0.546, reject=0.229)

    salt = [PluginScore("cooking", 0.434), PluginScore("gardening", 0.164)]
    branches = [PluginScore("gardening", 0.375), PluginScore("cooking", 0.169)]
    assert [p.name for p in routing_parts.owners([salt, branches], t)] == ["cooking", "gardening"]
    # one plugin for both parts, a part with no clear owner, or one that fits no plugin: no split
    assert routing_parts.owners([salt, salt], t) == []
    close = [PluginScore("gardening", 0.375), PluginScore("cooking", 0.30)]
    assert routing_parts.owners([salt, close], t) == []
    low = [PluginScore("gardening", 0.20), PluginScore("cooking", 0.01)]
    assert routing_parts.owners([salt, low], t) == []


def test_a_merge_that_restates_the_question_does_not_keep_a_part_by_it() -> None:
    # the merged answer of the spokes + sourdough question restated the whole question, then
    # gave the sourdough part alone: the spokes' words were "kept" through the question
    from frontdesk import parts

    question = (
        "How do I check my wheels for loose spokes, and how long does a sourdough starter take "
        "to double?"
    )
    merged = (
        f'The answer to the question "{question}" is: "It is ready to bake with when it doubles '
        'within four to eight hours of feeding."'
    )
    consults = [
        {"answer": "Check the wheels for loose spokes by squeezing pairs of spokes together."},
        {"answer": "It is ready to bake with when it doubles within four to eight hours."},
    ]
    assert not parts.complete(merged, consults, question)
    both = "Squeeze pairs of spokes together. It doubles within four to eight hours."
    assert parts.complete(both, consults, question)
