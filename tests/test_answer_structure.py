"""Answers from reference documentation: a man page's option entries (frontdesk.options).

Bag-of-words embeddings (frontdesk.testing.HashEmbedder): what is tested is the structure, not
the meaning a real embedder adds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from frontdesk import answering, options
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.store import Hit
from frontdesk.testing import FakeChatModel, HashEmbedder
from frontdesk.verify import verify

from .conftest import write_plugin

# groff's rendering of part of git-clean(1): running header, section titles, option entries.
CLEAN = """GIT-CLEAN(1)                      Git Manual                      GIT-CLEAN(1)

NAME
       git-clean - Remove untracked files from the working tree

DESCRIPTION
       Cleans the working tree by recursively removing files that are not under version
       control, starting from the current directory. Use the interactive mode to see what
       would be removed before removing anything.

OPTIONS
       -d
           Normally, when no <pathspec> is specified, git clean will not recurse into
           untracked directories to avoid removing too much.

       -n, --dry-run
           Don't actually remove anything, just show what would be done.

       -q, --quiet
           Be quiet, only report errors, but not the files that are successfully removed.

Git 2.43.0                        01/01/2024                        GIT-CLEAN(1)
"""


def _hit(text: str = CLEAN) -> Hit:
    return Hit("git", "c1", "git-clean.txt", "git-clean.txt", "", 0.9, text)


def test_running_headers_and_section_titles_are_no_sentences() -> None:
    sentences = answering.split_sentences(CLEAN)
    assert not any("GIT-CLEAN(1)" in s or s.startswith(("NAME", "OPTIONS")) for s in sentences)
    assert "-n, --dry-run Don't actually remove anything, just show what would be done." in (
        sentences
    )


def test_an_entry_defines_the_options_of_its_heading_only() -> None:
    assert options.defined("-n, --dry-run Don't actually remove anything.") == {"-n", "--dry-run"}
    assert options.defined("-m <msg>, --message=<msg> Use the given <msg>.") == {
        "-m",
        "--message",
    }
    assert options.defined("Use -r together with -d to delete remote branches.") == set()
    assert options.flags("-D Shortcut for --delete --force.") == {"-D", "--delete", "--force"}


def test_a_which_option_question_prefers_an_option_entry_to_prose_saying_the_same() -> None:
    text = (
        "OPTIONS\n"
        "       -i, --interactive\n"
        "           Show what would be done and clean files interactively.\n\n"
        "       Run git clean interactively to show what would be done and clean files.\n"
    )
    sel = answering.select(
        "Which option shows what would be done and cleans files interactively?",
        [_hit(text)],
        HashEmbedder(),
    )
    assert sel.best is not None and sel.best.sentence.startswith("-i, --interactive")


def test_a_question_naming_an_option_is_answered_by_that_option_s_entry() -> None:
    sel = answering.select("What does git clean -q do?", [_hit()], HashEmbedder())
    assert sel.best is not None and sel.best.sentence.startswith("-q, --quiet")


def test_a_true_answer_without_the_asked_number_becomes_the_evidence() -> None:
    facts = [
        "Thaw food in the fridge, not on the counter: a chicken needs about 24 hours in the "
        "fridge for every 2 kg."
    ]
    verdict = verify(
        "Thaw food in the fridge, not on the counter.",
        "How long does a chicken take to thaw in the fridge?",
        facts,
    )
    assert verdict.repaired and "24 hours" in verdict.answer
    assert "leaves out the number" in verdict.problems[-1]


def test_an_answer_to_which_option_must_name_the_option() -> None:
    facts = ["-n, --dry-run Don't actually remove anything, just show what would be done."]
    q = "Which git clean option only shows what would be removed?"
    assert "--dry-run" in verify("It shows what would be done.", q, facts).answer
    said = "Use -n: don't actually remove anything, just show what would be done."
    assert verify(said, q, facts).answer == said


def test_a_negative_number_is_no_option() -> None:
    assert options.defined("-18 °C keeps food frozen for months.") == set()


def test_a_question_scoped_to_its_document_is_not_declined_by_the_retrieval_floor() -> None:
    # Short questions ("When was retirement?") sit below the chunk-similarity floor even in
    # the document that answers them; scoped, the user chose the document: the gate decides.
    text = "Zenyatta raced for three seasons. On November 17, 2010, Zenyatta was retired."
    hit = Hit("bio", "c1", "z.txt", "z.txt", "", 0.12, text)
    q = "When was Zenyatta retired?"
    assert not answering.select(q, [hit], HashEmbedder()).covered
    assert answering.select(q, [hit], HashEmbedder(), scoped=True).covered


def test_scoped_chunks_are_read_in_document_order() -> None:
    hits = [
        Hit("bio", "doc.abc-00002", "z.txt", "z.txt", "", 0.9, "third"),
        Hit("bio", "doc.abc-00000", "z.txt", "z.txt", "", 0.5, "first"),
        Hit("bio", "doc.abc-00001", "z.txt", "z.txt", "", 0.7, "second"),
    ]
    assert [h.text for h in answering.reading_order(hits)] == ["first", "second", "third"]


def test_the_entry_of_the_option_asked_about_is_the_answer_verbatim_without_a_model_call(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    root = tmp_path / "plugins"
    write_plugin(
        root,
        "git",
        "Git commands and their options.",
        ["What does git clean -n do?"],
        {"git-clean.txt": CLEAN},
        model="fake:script",
    )
    eng = Engine(make_settings(plugins_path=str(root)), embedder=HashEmbedder())
    eng.ingest()
    FakeChatModel.enqueue("It cleans everything.")  # what a paraphrase would say: not asked
    answer = eng.ask("What does git clean --dry-run do?", plugin="git")
    assert answer.answer.startswith("-n, --dry-run Don't actually remove anything")
    assert FakeChatModel.calls == []
    assert answer.citations[0]["source"] == "git-clean.txt"
