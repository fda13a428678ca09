"""Reference documentation's structure: option entries and the lines that are not sentences.

Man pages and CLI references define each option in an entry: a heading line naming the option
("-n, --dry-run", "-m <msg>, --message=<msg>") and its description below it. answering.py joins
the two into one candidate sentence; this module says which candidates are such entries, which
options they define, and whether a question asks for an option, so that "Which git clean option
only shows what would be removed?" and "What does git commit --amend do?" are answered by the
option's own entry rather than by any sentence that repeats the question's words.
"""

from __future__ import annotations

import re

# A flag where a word could start: -n, --dry-run, --max-count=<n>, -<number>.
_FLAG = re.compile(r"(?<![\w-])(--?(?:\[no-\])?[A-Za-z0-9<][\w<>-]*)")
_NO = "[no-]"  # `--[no-]verify` names both --verify and --no-verify
_NEGATIVE = re.compile(r"-\d+(?:[.,]\d+)?")  # -18 °C is a number, not an option
# An entry's heading: options, their arguments and commas, up to where the description begins.
_ENTRY = re.compile(
    r"^\s*((?:--?(?:\[no-\])?[A-Za-z0-9<][\w<>=:.\[\]|-]*(?:\s+<[^>]+>)?(?:,\s+|\s+(?=--?(?:\[no-\])?[A-Za-z0-9<])))*"
    r"--?(?:\[no-\])?[A-Za-z0-9<][\w<>=:.\[\]|-]*(?:\s+<[^>]+>)?)(?=\s|$)"
)
# "GIT-CLEAN(1)   Git Manual   GIT-CLEAN(1)": a man page's running header or footer.
_RUNNING = re.compile(r"^\s*[A-Z][\w.-]*\(\d\w*\)(?:\s+.*)?$|^.*\s[A-Z][A-Z0-9_.-]*\(\d\w*\)\s*$")
# "OPTIONS", "SEE ALSO": a section title in capitals, not a statement.
_SECTION = re.compile(r"^\s*[A-Z][A-Z0-9 ,&/()-]{2,}\s*$")
# "[-f]", "[--bare]", "(-c|-C)", "[<commit>]": a synopsis' optional or alternative arguments.
_USAGE = re.compile(r"[\[(]\s*(?:--?[\w\[]|<)")
_ASKS = re.compile(
    r"\b(?:which|what)\s+(?:[\w-]+\s+){0,3}(?:option|flag|switch|argument)s?\b"
    r"|\b(?:option|flag|switch)\s+(?:to|for|that|which)\b"
    # "how do I …" opening the question, or after a clause of its own: "When I apply a stash,
    # how do I get back the changes I had staged …?"
    r"|(?:^|,)\s*how\s+(?:do|can|should)\s+(?:i|you|we)\b",
    re.IGNORECASE,
)


def is_title_line(line: str) -> bool:
    """A running header/footer or a section title: no sentence of the document."""
    return bool(_RUNNING.match(line) or _SECTION.match(line))


def flags(text: str) -> set[str]:
    """The options a text names (`-D` and `-d` differ; trailing `=<value>` dropped;
    `--[no-]verify` is --verify and --no-verify)."""
    found: set[str] = set()
    for m in _FLAG.findall(text):
        # "-L<start>", "-I<regex>": the option is -L, -I (but "-<number>" is one)
        flag = re.sub(r"(?<=\w)[<\[].*$", "", m.split("=")[0]).rstrip(".,;:")
        if _NO in flag:
            found |= {flag.replace(_NO, ""), flag.replace(_NO, "no-")}
        else:
            found.add(flag)
    return {f for f in found if not _NEGATIVE.fullmatch(f)} - {"-", "--"}


def without_flags(text: str) -> str:
    """The text with the options it names blanked out (`--no-tags` says no "no")."""
    return _FLAG.sub(" ", text)


def defined(sentence: str) -> set[str]:
    """The options a candidate defines: those in its entry heading, if it starts with one."""
    return flags(heading(sentence))


def heading(sentence: str) -> str:
    """An entry's heading ("-n, --dry-run"), or "" where the candidate is no entry."""
    end = _heading_end(sentence)
    if end is not None:
        return sentence[:end]
    m = _ENTRY.match(sentence)
    return m.group(0) if m else ""


_START = re.compile(r"--?(?:\[no-\])?[A-Za-z0-9<]")
_CLOSE = {"[": "]", "(": ")", "{": "}", "<": ">"}


def _token_end(text: str, i: int) -> int | None:
    """Where an option or its argument starting at `i` ends: at a space or comma outside
    brackets (or a comma before a space). Commas and bars inside brackets belong to it ("--stat[=<width>[,<count>]]",
    "--empty={drop,keep,ask}", "--track[=(direct|inherit)]"); a space or quote inside
    brackets, or an unbalanced bracket, means prose ("( ... )", "--no-keep-empty).")."""
    stack: list[str] = []
    j = i
    while j < len(text):
        ch = text[j]
        if ch in _CLOSE:
            stack.append(_CLOSE[ch])
        elif ch in ")]}>":
            if not stack or stack.pop() != ch:
                return None
        elif not stack and (ch.isspace() or text[j : j + 2].rstrip() == ","):
            break  # "-L<start>,<end>:<file>" goes on past its comma; ", " ends it
        elif ch.isspace() or not (ch.isalnum() or ch in "_=:.|*+/-,"):
            return None
        j += 1
    return j if not stack and j > i else None


def _heading_end(text: str) -> int | None:
    """The end of the entry heading `text` starts with: options, each with its arguments
    ("-m <msg>", "--contains [<commit>]"), joined by commas; a trailing comma goes on in the
    next line of the page. None where `text` starts with no heading."""
    i = len(text) - len(text.lstrip())
    while _START.match(text, i):
        j = _token_end(text, i)
        while j is not None:  # arguments after a space: "-m <msg>", "--contains [<commit>]"
            arg = re.match(r"\s+(?=[<\[])", text[j:])
            end = _token_end(text, j + arg.end()) if arg else None
            if end is None:
                break
            j = end
        if j is None:
            return None
        rest = text[j:]
        if rest.startswith(","):
            if not rest[1:].strip():
                return len(text)  # "--output-indicator-old=<char>," and the next line
            gap = re.match(r"\s+", rest[1:])
            if gap is None:
                return None
            i = j + 1 + gap.end()  # another option must follow
            continue
        gap = re.match(r"\s+", rest)
        if gap and _START.match(text, j + gap.end()):
            i = j + gap.end()
            continue
        return j if not rest or gap else None
    return None


def is_usage(sentence: str) -> bool:
    """A synopsis line ("git tag [-a | -s] [-f] <tagname>"): how a command is typed, which
    names many options and answers no question about any of them."""
    return len(_USAGE.findall(sentence)) >= 2


def named_document(question: str, source: str) -> bool:
    """The question names the document by its file name: "git tag" for git-tag.txt,
    "git cherry-pick" for git-cherry-pick.txt (a command's reference page)."""
    stem = re.split(r"[-_\s]+", source.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower())
    words = re.split(r"[-_\s]+", " ".join(re.findall(r"[\w-]+", question.lower())))
    n = len(stem)
    return n > 1 and any(words[i : i + n] == stem for i in range(len(words) - n + 1))


def asks_for_option(question: str) -> bool:
    """'Which option …', 'what flag …', 'how do I …' (an option is a usual answer)."""
    return bool(_ASKS.search(question))
