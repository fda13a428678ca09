"""Wrong answers a user still found on the example plugins (session 9, second round), each as
the product gave it: follow-ups in threads first."""

from __future__ import annotations

from pathlib import Path

from frontdesk import asked_kind, reasons
from frontdesk.answering import Candidate
from frontdesk.engine import Engine
from frontdesk.store import Hit
from frontdesk.testing import HashEmbedder
from frontdesk.verify import verify

ROOT = Path(__file__).resolve().parent.parent


def test_an_elliptical_follow_up_stays_with_the_thread_plugin(engine: Engine) -> None:
    first = engine.ask("When should I prune my roses?", thread_id="prune")
    assert [p["name"] for p in first.route["plugins"]] == ["garden"]
    answer = engine.ask("How much should I cut back?", thread_id="prune")
    assert answer.route["followup"] is True
    assert answer.route["standalone"] == "How much should I cut back my roses?"
    assert [p["name"] for p in answer.route["plugins"]] == ["garden"]


STORING = (
    "Keep a bicycle dry and out of direct sunlight, which perishes tyres. For long storage, hang "
    "it or support it so the tyres do not carry its weight, and pump them up before the first ride."
)
DRY = "Keep a bicycle dry and out of direct sunlight, which perishes tyres."
HANG = (
    "For long storage, hang it or support it so the tyres do not carry its weight, and pump them "
    "up before the first ride."
)


def test_why_a_phrase_of_the_answer_is_answered_by_the_sentence_that_said_it() -> None:
    # dev thread bike (line 76): "How should I store my bike over winter?" → “Keep a bicycle dry
    # and out of direct sunlight, which perishes tyres.”; "Why out of the sun?" (made "Why should
    # I store my bike out of the sun?") quoted the hanging sentence, whose reason is the tyres'
    # weight: the sentence said was dropped as a repeat (no cue word, one shared word only).
    assert reasons.gives_reason(DRY)
    hit = Hit(
        "cycling", "c1", "maintenance-schedule.html", "m", "", 0.6, "Storing a bike\n\n" + STORING
    )
    question = "Why should I store my bike out of the sun?"
    ranked = [Candidate(hit, HANG, 2, 0.52, 0.4), Candidate(hit, DRY, 1, 0.55, 0.3)]
    out = reasons.rerank(question, ranked, f"“{DRY}”", HashEmbedder())
    assert out[0].sentence == DRY
    # a said sentence that is not the whole answer still needs two of the question's words
    longer = f"“{DRY} Check the tyres.”"
    assert reasons.rerank(question, ranked, longer, HashEmbedder())[0].sentence == HANG
    # "which is" describes, it gives no reason
    assert not reasons.gives_reason("Use a chain checker, which is cheap.")


OIL = "Oil the chain every 150 to 300 km, and after every ride in the rain."
LUBE = "Use wet lube in winter and dry lube in dry summer conditions."


def test_the_questions_words_put_in_place_of_the_evidences_are_not_supported() -> None:
    # thread: "How often should I oil the chain?" → "And in winter?" (made "How often should I
    # oil the chain in winter?") → "Oil the chain every 150 to 300 km, and after every ride in
    # winter." passed: "winter" is the question's word, and the notes say "in the rain" there.
    question = "How often should I oil the chain in winter?"
    said = "Oil the chain every 150 to 300 km, and after every ride in winter."
    for facts in ([OIL], [OIL, LUBE]):
        verdict = verify(said, question, facts)
        assert not verdict.supported and "rain" in " ".join(verdict.problems)
    # the evidence's own words, or the question's added beside them, still pass
    assert verify(OIL, question, [OIL]).supported
    plain = "Oil the chain every 150 to 300 km and after every ride in the rain, also in winter."
    assert verify(plain, question, [OIL, LUBE]).supported


def test_how_much_to_cut_back_is_answered_by_the_share_cut_back() -> None:
    # thread prune9: "How much should I cut back?" (made "How much should I cut back roses?") →
    # “Make each cut about 5 mm above a bud …” (a measure of where to cut, not how much).
    text = (ROOT / "knowledge" / "gardening" / "pruning.md").read_text()
    hit = Hit("gardening", "p1", "pruning.md", "pruning.md", "", 0.6, text)
    where = "Make each cut about 5 mm above a bud, sloping away from it so rain runs off."
    half = "Cut the remaining strong stems back by about a half, to an outward-facing bud."
    dead = "Remove dead, diseased and damaged wood first, cutting back to healthy white pith."
    ranked = [Candidate(hit, where, 9, 0.55, 0.4), Candidate(hit, dead, 6, 0.6, 0.3)]
    ranked.append(Candidate(hit, half, 8, 0.52, 0.2))
    question = "How much should I cut back roses?"
    assert asked_kind.rerank(question, ranked)[0].sentence == half
    # other "how much" questions ask no share
    assert asked_kind.gives_share("How much water do tomatoes need?", half) is None


def test_a_phrasal_verbs_object_is_no_unseen_subject() -> None:
    # the man-page dev question (line 22) was declined once the topic rules skipped "up" after
    # "give": "a merge that stopped" looked like a plain noun phrase whose head no note holds.
    from frontdesk import reference

    q = "How do I give up a merge that stopped with conflicts and go back to the state before it?"
    hit = Hit("git", "m1", "git-merge", "git-merge", "", 0.6, "--abort Abort the current merge.")
    assert reference.unseen_subject(q, [hit]) is None
