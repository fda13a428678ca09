"""An option entry whose description is the effect a question asks for comes first
(frontdesk.reference.described), even when a longer entry shares more of the question's words;
retrieval counts the chunk holding it (retrieval.KeywordIndex.described).

The failures these come from (BENCHMARKS.md "Man pages (session 5)", the man-page dev set):
"Which git diff option ignores whitespace when comparing lines?" answered with -I's entry
("Ignore changes whose all lines match <regex>."), "Which git push option deletes the listed
refs from the remote repository?" with the --mirror entry. Bag-of-words embeddings
(HashEmbedder), the real answer model; groff's text of git-diff(1).
"""

from __future__ import annotations

from frontdesk import answering, reference
from frontdesk.retrieval import Chunk, KeywordIndex, weigh
from frontdesk.store import Hit
from frontdesk.testing import HashEmbedder

DIFF = """OPTIONS
-b, --ignore-space-change
Ignore changes in amount of whitespace. This ignores whitespace at line end, and
considers all other sequences of one or more whitespace characters to be equivalent.

-w, --ignore-all-space
Ignore whitespace when comparing lines. This ignores differences even if one line has
whitespace where the other line has none.

--ignore-blank-lines
Ignore changes whose lines are all blank.

-I<regex>, --ignore-matching-lines=<regex>
Ignore changes whose all lines match <regex>. This option may be specified more than
once.
"""

GREP = """OPTIONS
-i, --ignore-case
Ignore case differences between the patterns and the files.

-w, --word-regexp
Match the pattern only at word boundary (either begin at the beginning of a line, or
preceded by a non-word character; end at the end of a line or followed by a non-word
character).

-v, --invert-match
Select non-matching lines.

-c, --count
Instead of showing every matched line, show the number of lines that match.
"""

LOG = """OPTIONS
--invert-grep
Limit the commits output to ones with a log message that does not match the pattern
specified with --grep=<pattern>.
"""


def _select(question: str, text: str, source: str) -> answering.Selection:
    hit = Hit("git", "doc-00004", source, source, "", 0.9, text)
    return answering.select(question, [hit], HashEmbedder())


def test_a_longer_entry_sharing_the_question_s_words_does_not_outrank_it() -> None:
    q = "Which git diff option ignores whitespace when comparing lines?"
    sel = _select(q, DIFF, "git-man/git-diff.txt")
    assert sel.best is not None and sel.best.sentence.startswith("-w, --ignore-all-space")
    assert answering.entry_answer(q, sel) is sel.best


def test_described_counts_the_entry_s_words_the_question_holds() -> None:
    entry = "-d, --delete All listed refs are deleted from the remote repository. More."
    q = "Which git push option deletes the listed refs from the remote repository?"
    # delete, listed, refs, remote, repository: all asked ("deletes" is "deleted")
    assert reference.described(q, entry, "git-push.txt") == 1.0
    mirror = "--mirror Instead of naming each ref to push, specifies that all refs be mirrored."
    assert reference.described(q, mirror, "git-push.txt") < 0.5
    # The page's own name describes every entry of it: no share for "revert".
    edit = "-e, --edit Let you edit the message prior to committing the revert."
    assert reference.described("Which git revert option reverts?", edit, "git-revert.txt") == 0.0
    assert reference.described(q, "Not an entry at all.", "git-push.txt") == 0.0


def test_retrieval_counts_the_chunk_whose_entry_the_question_describes() -> None:
    # git-grep(1) in two chunks: its description, which repeats the question's words, and
    # the options, where the short -v entry ("Select non-matching lines.") is what is asked
    # for; no option is named to find it by (the dev set's miss: the entries chunk ranked
    # below the top 3).
    prose = (
        "DESCRIPTION\nLook for specified patterns in the tracked files in the work tree, blobs "
        "registered in the index file, or blobs in given tree objects. Patterns are lists of "
        "one or more search expressions separated by newline characters.\n"
    )
    chunks = [
        Chunk("grep-00000", prose, {"source_name": "git-grep.txt"}),
        Chunk("grep-00001", GREP, {"source_name": "git-grep.txt"}),
        Chunk("log-00007", LOG, {"source_name": "git-log.txt"}),
    ]
    index = KeywordIndex(chunks)
    q = "Which git grep option selects the lines that do not match?"
    described = index.described(q)
    assert set(described) == {"grep-00001"} and described["grep-00001"] >= 0.5
    # The named page only, and only when no option is named (then definitions() finds it).
    assert index.described("Which option selects the lines that do not match?") == {}
    assert index.described("What does git grep -v select?") == {}
    # As retrieval weighs it: the prose is closer by embedding, the entries win by their words.
    cosine = {"grep-00000": 0.62, "grep-00001": 0.45, "log-00007": 0.55}
    bm25 = {c.chunk_id: s for (c, s) in index.search(q, 3)}
    assert weigh(cosine, bm25, 0.5)[0] != "grep-00001"
    assert weigh(cosine, bm25, 0.5, described)[0] == "grep-00001"
