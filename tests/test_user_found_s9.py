"""Wrong answers a user still found on the example plugins (session 9,
benchmarks/data/examples_dev_qa.jsonl and the lead's review), each as the product gave it, on the
notes' own sentences.
"""

from __future__ import annotations

from pathlib import Path

from frontdesk import asked_kind, durations, followup, reasons, reference
from frontdesk.answering import Candidate, Selection
from frontdesk.loaders import load_document, split_document
from frontdesk.retrieval import Chunk, KeywordIndex, tokenize
from frontdesk.store import Hit
from frontdesk.testing import HashEmbedder
from frontdesk.verify import verify

ROOT = Path(__file__).resolve().parent.parent

REST = (
    "A thin steak (about 2 cm) needs about 5 minutes of rest. A thick steak (4 cm or more) needs "
    "8 to 10 minutes. A whole roast, such as a leg of lamb or a rib of beef, should rest 15 to 30 "
    "minutes, loosely covered with foil so that it does not steam and lose its crust. A whole "
    "roast chicken rests about 15 minutes."
)


def test_a_right_paraphrase_of_the_asked_kind_passes() -> None:
    # "How long should a thick steak rest?" → "A thick steak needs 8 to 10 minutes of rest." was
    # rejected ("its numbers are the evidence's for something else, not for the rest"): the
    # question's verb "rest" was taken for a kind, and the sentence about the thick steak lacks it.
    said = "A thick steak needs 8 to 10 minutes of rest."
    assert verify(said, "How long should a thick steak rest?", [REST]).supported
    # another kind's numbers still fail, asked either way
    for question in ("How long should a whole chicken rest?", "How long should I rest a chicken?"):
        wrong = verify("A whole chicken should rest 15 to 30 minutes.", question, [REST])
        assert not wrong.supported and "something else" in " ".join(wrong.problems)
    wrong = verify(
        "A thick steak needs 15 to 30 minutes of rest.",
        "How long should a thick steak rest?",
        [REST],
    )
    assert not wrong.supported


FIND_RENAMES = (
    "Turn on rename detection, optionally setting the similarity threshold. This is the default. "
    "This overrides the merge.renames configuration variable. See also git-\n"
    "               diff(1) --find-renames."
)


def test_a_page_the_evidence_only_names_supports_no_claim_about_it() -> None:
    # "How do I rename a branch?" → "You can rename a branch using git-diff." passed: "git" and
    # "diff" are in the evidence, but only in its "See also git-diff(1)" line.
    question = "How do I rename a branch?"
    verdict = verify("You can rename a branch using git-diff.", question, [FIND_RENAMES])
    assert not verdict.supported and "git-diff" not in verdict.answer
    refs = "Show changes between commits. See also git-log(1), git-show(1) and git-diff(1) -b, -w."
    assert not verify("Use git-log to show changes between commits.", "How?", [refs]).supported
    # a page the evidence speaks of, not only names, still supports what it says of it
    told = "Use git-diff(1) to see the changes between the index and the working tree."
    said = "Use git-diff to see the changes between the index and the working tree."
    assert verify(said, "How do I see my unstaged changes?", [told]).supported


def _cycling_chunks() -> list[Chunk]:
    """The cycling notes' chunks as the example plugin stores them (600 characters)."""
    texts = [
        text
        for path in sorted((ROOT / "knowledge" / "cycling").iterdir())
        for text in split_document(load_document(path), 600, 100)
    ]
    return [Chunk(f"c{i}", text, {}) for i, text in enumerate(texts)]


def test_function_words_do_not_find_a_section_by_keywords() -> None:
    # "How should I store my bike over winter?" quoted the saddle-height sentence: the "Storing
    # a bike" section (the closest in meaning, 0.58) was pushed out of the top 3 by keyword
    # matches on "should" ("they should feel firm") and "over" ("Look over the tyres").
    index = KeywordIndex(_cycling_chunks())
    found = index.search("How should I store my bike over winter?", 10)
    score = {c.text.split("\n")[0]: s for c, s in found}
    assert "Every week or every 200 km" not in score  # "Look over the tyres …": no word asked
    assert score["Storing a bike"] > score["## Saddle height"]  # "Sit on the bike …"
    assert not {"should", "over", "must", "could"} & set(tokenize("should over must could"))


RICE = (
    "Rice\nCooked rice deserves special care. Uncooked rice can hold spores of Bacillus cereus, "
    "which survive cooking. If cooked rice is left warm, the spores germinate and make a toxin "
    "that reheating does not destroy. Cool rice within one hour, keep it in the fridge no longer "
    "than one day, and reheat it only once, until steaming hot all the way through.\n\n"
    "Can I freeze cooked rice?\nYes. Spread freshly cooked rice on a tray to cool quickly, pack it "
    "into freezer bags within an hour of cooking, and freeze it for up to one month."
)

FREEZE = (
    "Spread freshly cooked rice on a tray to cool quickly, pack it into freezer bags within an "
    "hour of cooking, and freeze it for up to one month."
)
COOL = (
    "Cool rice within one hour, keep it in the fridge no longer than one day, and reheat it only "
    "once, until steaming hot all the way through."
)


def test_how_quickly_is_answered_by_the_time_of_the_action_asked() -> None:
    # "How quickly must cooked rice be cooled?" quoted the freezing sentence: its hour is for
    # packing rice into freezer bags, and it shares more of the question's words ("cooked
    # rice", "cool quickly") than "Cool rice within one hour", ranked second (the selection's
    # own scores and MiniLM similarities, as the product ranked them).
    hit = Hit("cooking", "c1", "food.txt", "food.txt", "", 0.7, RICE)
    warm = "If cooked rice is left warm, the spores germinate and make a toxin that reheating does not destroy."
    ranked = [
        Candidate(hit, FREEZE, 5, 0.72, 0.243),
        Candidate(hit, COOL, 3, 0.76, 0.200),
        Candidate(hit, warm, 2, 0.65, 0.185),
    ]
    question = "How quickly must cooked rice be cooled?"
    ranked = durations.rerank(question, ranked)
    assert ranked[0].sentence == COOL
    evidence = Selection(ranked, 0.92, True, question).evidence()
    assert [c.sentence for c in evidence] == [COOL]
    # the freezing question itself still has its own sentence
    asked = "How soon must cooked rice be packed into freezer bags?"
    back = durations.rerank(
        asked, [Candidate(hit, COOL, 3, 0.7, 0.3), Candidate(hit, FREEZE, 5, 0.7, 0.2)]
    )
    assert back[0].sentence == FREEZE


PATCH = (
    "Roughen the area with sandpaper, spread a thin layer of vulcanising solution, wait until it "
    "is touch dry (about five minutes), then press the patch on firmly for a minute."
)


def test_how_long_to_wait_is_not_answered_by_how_long_to_press() -> None:
    # `frontdesk ask "How long should I wait before pressing on a patch?"` → "Press the patch
    # on firmly for a minute." (true, and the time of another step than the one asked)
    question = "How long should I wait before pressing on a patch?"
    verdict = verify("Press the patch on firmly for a minute.", question, [PATCH])
    assert not verdict.supported and "about five minutes" in verdict.answer
    said = "Wait until the solution is touch dry, about five minutes."
    assert verify(said, question, [PATCH]).supported
    assert durations.times_action(PATCH, "wait") and not durations.times_action(PATCH, "roughe")


def test_a_kind_named_in_part_or_another_thing_kept_in_does_not_pass() -> None:
    # The first version of the rule above passed "Rest the whole roast chicken for 15 to 30
    # minutes" (the whole roast's, named in part) and "Cooked rice can keep up to one month in
    # the fridge" (the freezer's month; "cooked rice" named by the freezing sentence).
    said = "Rest the whole roast chicken for 15 to 30 minutes."
    assert not verify(said, "How long should a whole roast chicken rest?", [REST]).supported
    said = "Cooked rice can keep up to one month in the fridge."
    question = "How long does cooked rice keep in the fridge?"
    assert not verify(said, question, [RICE.replace("\n", " ")]).supported


SEASON = (
    "Wash the pan, dry it fully on the hob, rub a very thin layer of neutral oil with a high "
    "smoke point (such as sunflower or flaxseed) all over, wipe off the excess until the pan looks "
    "almost dry, and bake it upside down at 230 to 250 degrees Celsius for one hour."
)


def test_what_temperature_is_answered_by_a_temperature() -> None:
    # `frontdesk ask --thread t "How do I season a cast iron pan?"`, then "At what temperature?"
    # (understood as "How do I season a cast iron pan at what temperature?") → "Repeat three to
    # four times for a new pan." (the seasoning sentence, said before, ranked below it)
    question = "How do I season a cast iron pan at what temperature?"
    hit = Hit("cooking", "c1", "pans.html", "pans.html", "", 0.7, SEASON)
    repeat = "Repeat three to four times for a new pan."
    hone = "Hone before each use with light strokes at about 15 to 20 degrees."
    ranked = [
        Candidate(hit, repeat, 2, 0.41, 0.2),
        Candidate(hit, hone, 6, 0.36, 0.15),
        Candidate(hit, SEASON, 1, 0.46, 0.1),
    ]
    ranked = asked_kind.rerank(question, ranked)
    assert ranked[0].sentence == SEASON
    assert SEASON in [c.sentence for c in Selection(ranked, 0.9, True, question).evidence()]
    verdict = verify(repeat, question, [SEASON])
    assert not verdict.supported and "230 to 250 degrees Celsius" in verdict.answer


def test_what_to_make_a_thing_is_not_what_the_question_is_about() -> None:
    # `frontdesk ask "How do I make my clay soil better?"` → `The gardening notes don't cover
    # …`: "better" was taken for the thing asked about, and no retrieved chunk says it.
    clay = Hit(
        "gardening",
        "c1",
        "soil.txt",
        "soil.txt",
        "",
        0.71,
        "Improving soil\nClay soil is rich but heavy and drains badly: dig in organic matter "
        "every year and never work it when wet.",
    )
    question = "How do I make my clay soil better?"
    assert followup.topic(question) == "my clay soil"
    assert reference.unseen_subject(question, [clay]) is None
    assert followup.topic("How do I keep my knives sharp?") == "my knives"
    # a subject the notes never name is still one
    assert reference.unseen_subject("How do I make my sandy loam better?", [clay]) == "loam"


def test_how_long_it_keeps_is_not_the_freezers_month() -> None:
    # dev thread rice7, once "How quickly must cooked rice be cooled?" was answered right: then
    # "How long does it keep in the fridge?" → "Cooked rice can keep up to one month in the
    # fridge." (the sentence said before ranked down, the freezing sentence's month taken)
    hit = Hit("cooking", "c1", "food.txt", "food.txt", "", 0.7, RICE)
    question = "How long does cooked rice keep in the fridge?"
    ranked = [Candidate(hit, FREEZE, 5, 0.6, 0.3), Candidate(hit, COOL, 3, 0.6, 0.1)]
    assert durations.rerank(question, ranked)[0].sentence == COOL
    said = "Cooked rice can keep up to one month in the fridge."
    assert not verify(said, question, [FREEZE]).supported


def test_why_is_answered_by_what_happens_otherwise() -> None:
    # dev thread rice7, once the fridge turn was answered by its own sentence: "Why?" (understood
    # as "Why does cooked rice keep in the fridge?") → the freezing sentence, the one after the
    # sentence said before; the notes' reason is a condition and what follows from it.
    warm = (
        "If cooked rice is left warm, the spores germinate and make a toxin that reheating does "
        "not destroy."
    )
    assert reasons.gives_reason(warm) and not reasons.gives_reason(FREEZE)
    hit = Hit("cooking", "c1", "food.txt", "food.txt", "", 0.6, RICE)
    ranked = [Candidate(hit, FREEZE, 4, 0.58, 0.389), Candidate(hit, warm, 2, 0.66, 0.204)]
    question = "Why does cooked rice keep in the fridge?"
    ranked = reasons.rerank(question, ranked, COOL, HashEmbedder())
    assert ranked[0].sentence == warm
    # "if" inside a sentence is no reason: "Check the chain, and oil it if it looks dry."
    assert not reasons.gives_reason("Wipe the chain and oil it if it looks dry or sounds noisy.")
