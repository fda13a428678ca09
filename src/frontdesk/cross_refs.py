"""Cross-references of reference documentation: "See also git-diff(1) --find-renames".

Such a line names another page and says nothing about what that page does, so its words are
no evidence for a claim: "You can rename a branch using git-diff." passed verification on the
words "git" and "diff" of a See-also line in git-rebase's merge-strategy options.
"""

from __future__ import annotations

import re

# a man page as text renders it, wrapped or not: "git-diff(1)", "git-\n    diff(1)"
_PAGE = r"[\w.]+(?:-\s*[\w.]+)*\(\d\w*\)"
_OPTION = r"-{1,2}[\w][\w=<>\[\]-]*"
# "See also git-diff(1) -b, -w, and --ignore-cr-at-eol", "see git-log(1)", a SEE ALSO list
_SEE = re.compile(
    rf"\bsee\s+(?:also\s+)?{_PAGE}(?:[\s,]+(?:and\s+|or\s+)?(?:{_PAGE}|{_OPTION}))*",
    re.IGNORECASE,
)


def _flat(text: str) -> str:
    # "git-\n    branch(1)" as wrapped by groff is "git-branch(1)" in an answer
    return " ".join(re.sub(r"-\s+", "-", text).split()).lower()


def without_references(text: str, quoted: str = "") -> str:
    """`text` with its "see (also) PAGE(n) …" references left out, except those `quoted`
    repeats word for word: an answer quoting the evidence's "…; see git-branch(1) for
    details." says what the evidence says, no more."""
    said = _flat(quoted)

    def drop(m: re.Match[str]) -> str:
        return m.group(0) if said and _flat(m.group(0)) in said else " "

    return _SEE.sub(drop, text)
