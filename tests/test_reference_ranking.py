"""Reference documentation: an option's entry, whole, from the page the question names
(frontdesk.reference, answering._pool, retrieval's option definitions).

The failures these come from (BENCHMARKS.md, the man-page dev set): "Which git stash option
leaves the changes already added to the index intact?" answered with the sentence two
paragraphs into the -k entry but without the option; "What does git tag -f do?" answered with
the synopsis line; "Which git push option deletes the listed refs …?" answered with the
--mirror entry because it sits first on the page. Bag-of-words embeddings (HashEmbedder).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from frontdesk import answering, options, reference
from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.store import Hit
from frontdesk.testing import HashEmbedder
from frontdesk.verify import verify

from .conftest import write_plugin

# groff's rendering of part of git-stash(1), as the loader stores it (indentation gone).
STASH = """OPTIONS
-p, --patch
This option is only valid for push and save commands.

Interactively select hunks from the diff between HEAD and the working tree to be stashed.

-k, --keep-index, --no-keep-index
This option is only valid for push and save commands.

All changes already added to the index are left intact.

-q, --quiet
This option is only valid for apply, drop, pop, push, save, store commands.
"""

TAG = """SYNOPSIS
git tag [-a | -s | -u <key-id>] [-f] [-m <msg> | -F <file>] [-e] <tagname> [<commit>]

DESCRIPTION
Unless -f is given, the named tag must not yet exist.

OPTIONS
-f, --force
Replace an existing tag with the given name (instead of failing).
"""

PUSH = """OPTIONS
-f, --force
Usually, the command refuses to update a remote ref that is not an ancestor of the local
ref used to overwrite it.
"""


def _hit(text: str, source: str = "git-stash.txt", chunk: str = "doc-00000") -> Hit:
    return Hit("git", chunk, source, source, "", 0.9, text)


def test_an_entry_answers_with_a_sentence_further_down_its_description() -> None:
    q = "Which git stash option leaves the changes already added to the index intact?"
    sel = answering.select(q, [_hit(STASH)], HashEmbedder())
    assert sel.best is not None and sel.best.sentence.startswith("-k, --keep-index")
    assert answering.entry_answer(q, sel) is sel.best


def test_an_entry_cut_by_a_chunk_boundary_goes_on_in_the_next_chunk() -> None:
    cut = STASH.index("All changes")
    first, second = _hit(STASH[:cut], chunk="doc-00003"), _hit(STASH[cut:], chunk="doc-00004")
    q = "Which git stash option leaves the changes already added to the index intact?"
    sel = answering.select(q, [second, first], HashEmbedder())
    assert sel.best is not None and sel.best.sentence.startswith("-k, --keep-index")


def test_a_synopsis_line_is_never_the_answer_and_the_named_page_s_entry_is() -> None:
    hits = [_hit(PUSH, "git-push.txt"), _hit(TAG, "git-tag.txt")]
    sel = answering.select("What does git tag -f do?", hits, HashEmbedder())
    assert sel.best is not None and sel.best.sentence.startswith("-f, --force Replace")
    assert options.is_usage(TAG.splitlines()[1])
    assert not options.is_usage("-f, --force Replace an existing tag (instead of failing).")
    assert all(not options.is_usage(c.sentence) for c in sel.ranked[:2])


def test_options_written_with_an_optional_no_name_both_forms() -> None:
    heading = "-n, --[no-]verify By default, the pre-commit and commit-msg hooks are run."
    assert options.defined(heading) == {"-n", "--verify", "--no-verify"}
    assert options.flags("How do I pass --no-verify?") == {"--no-verify"}
    assert options.named_document("What does git cherry-pick -x add?", "git-cherry-pick.txt")
    assert not options.named_document("How do I delete a tag?", "git-tag.txt")


def test_retrieval_finds_the_entry_defining_the_option_in_the_page_the_question_names(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    # Many notes use `git tag -f`; three pages define -f. Keywords and embeddings prefer the
    # notes, which repeat the question's words; the entry is the tag page's.
    docs = {
        "git-tag.txt": "OPTIONS\n-f, --force\nReplace an existing tag with the given name.\n",
        "git-push.txt": PUSH,
        "git-mv.txt": "OPTIONS\n-f, --force\nForce renaming or moving of a file.\n",
    }
    for n in range(6):
        docs[f"notes-{n}.txt"] = f"What does git tag -f do here? Run git tag -f v{n} to do it."
    root = tmp_path / "plugins"
    write_plugin(root, "git", "Git commands.", ["What does git tag -f do?"], docs)
    eng = Engine(make_settings(plugins_path=str(root)), embedder=HashEmbedder())
    eng.ingest()
    hits = eng.search("What does git tag -f do?", "git", 1)
    assert [h.source_name for h in hits] == ["git-tag.txt"]


AMEND = (
    "--amend Replace the tip of the current branch by creating a new commit. The recorded tree "
    "is prepared as usual, and the message from the original commit is used as the starting "
    "point, instead of an empty message, when no other message is specified from the command "
    "line. The new commit has the same parents and author as the current one."
)


def test_an_entry_shown_verbatim_keeps_its_first_sentence() -> None:
    # The negation check compared each claim with the whole entry ("… when no other message
    # …"): the entry's first sentence, which has no negation, was dropped from its own quote.
    verdict = verify(AMEND, "What does git commit --amend do?", [AMEND])
    assert verdict.supported and verdict.answer.startswith("--amend Replace the tip")


def test_an_option_named_no_is_no_negation() -> None:
    depth = (
        "--depth <depth> Create a shallow clone with a history truncated to the specified "
        "number of commits. Implies --single-branch unless --no-single-branch is given."
    )
    claim = "--depth <depth> Create a shallow clone with a history truncated to the specified number of commits."
    assert verify(claim, "What does git clone --depth create?", [depth]).supported
    assert not answering.has_negation("Implies --single-branch unless --no-single-branch is given.")
    assert answering.has_negation("Do not use this option.")


def test_a_question_naming_something_the_documents_never_mention_is_declined() -> None:
    # On reference pages every question shares words with some chunk (ssh, key): the gate
    # passed "… my Bitbucket account?" asked of git's manual. Asked about one document (or
    # given one passage) the subject may go by another name: left to the gate.
    text = "The private key needs to be available via ssh-agent. Add the SSH key with ssh-add."
    hits = [
        Hit("git", "c1", "git-config.txt", "git-config.txt", "", 0.6, text),
        Hit("git", "c2", "git-config.txt", "git-config.txt", "", 0.5, "Sign with a key."),
    ]
    q = "How do I add an SSH key to my Bitbucket account?"
    assert not answering.select(q, hits, HashEmbedder()).covered
    assert answering.select("How do I add an SSH key?", hits, HashEmbedder()).covered
    assert answering.select(q, hits, HashEmbedder(), scoped=True).covered
    assert answering.select(q, hits[:1], HashEmbedder()).covered


def test_a_runner_up_without_the_question_s_distinguishing_word_is_no_evidence() -> None:
    text = "Roses are pruned in late winter. Climbing roses are pruned after they flower in summer."
    hit = Hit("garden", "c1", "pruning.md", "pruning.md", "", 0.7, text)
    sel = answering.select("When are climbing roses pruned?", [hit], HashEmbedder())
    said = [c.sentence for c in sel.evidence()]
    assert said == ["Climbing roses are pruned after they flower in summer."]


def test_the_thing_asked_about_that_no_retrieved_text_mentions_is_declined() -> None:
    # Seen in the CLI: "When should I prune hydrangeas?" answered from the roses' sentences.
    text = (
        "Prune bush roses in late winter or early spring. Climbing roses are pruned after they "
        "flower in summer. Shrubs that flower after midsummer are pruned hard in early spring."
    )
    hits = [
        Hit("garden", "c1", "pruning.md", "pruning.md", "", 0.6, text),
        Hit("garden", "c2", "pruning.md", "pruning.md", "", 0.5, "Use sharp secateurs."),
    ]
    assert reference.unseen_subject("When should I prune hydrangeas?", hits) == "hydrangeas"
    assert reference.unseen_subject("How do I graft an apple tree?", hits) == "tree"
    assert not answering.select("When should I prune hydrangeas?", hits, HashEmbedder()).covered
    # what the notes do mention, and topics that are not a plain noun phrase, are left alone
    assert reference.unseen_subject("When should I prune my roses?", hits) is None
    assert reference.unseen_subject("When should I prune the climbing roses?", hits) is None
    assert reference.unseen_subject("How much salt goes into a basic loaf?", hits) is None
    assert answering.select("When should I prune my roses?", hits, HashEmbedder()).covered
