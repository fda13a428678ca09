"""An option entry whose description is the effect a question asks for comes first
(frontdesk.reference.described), even when a longer entry shares more of the question's words.

The failures these come from (BENCHMARKS.md "Man pages (session 5)", the man-page dev set):
"Which git diff option ignores whitespace when comparing lines?" answered with -I's entry
("Ignore changes whose all lines match <regex>."), "Which git push option deletes the listed
refs from the remote repository?" with the --mirror entry. Bag-of-words embeddings
(HashEmbedder), the real answer model; groff's text of git-diff(1).
"""

from __future__ import annotations

from frontdesk import answering, reference
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
