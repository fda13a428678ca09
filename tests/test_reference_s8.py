"""Reference pages, session 8: option headings whose arguments hold commas, an entry that
repeats the question's words, an entry's later sentences, and a command the pages lack.

The failures these come from (BENCHMARKS.md "Man pages (session 8)", the man-page dev set):
"Which git diff option generates a diffstat?" answered with --raw's entry, because
"--stat[=<width>[,<name-width>[,<count>]]]" was no entry heading; "Which git clone option
makes a bare repository?" answered with the --bare entry less its first sentence, which the
verification took for a restatement of the question. The documents here are made up (a tool
"frob"), in the form groff gives man pages; bag-of-words embeddings (HashEmbedder).
"""

from __future__ import annotations

from frontdesk import answering, options, reference
from frontdesk.retrieval import Chunk, KeywordIndex
from frontdesk.store import Hit
from frontdesk.testing import HashEmbedder
from frontdesk.verify import verify

REPORT = """OPTIONS
--plain
Produce the report in plain columns.

--summary[=<width>[,<count>]]
Produce a summary table. By default the table is as wide as the terminal.

--fancy
Produce the report using the fancy layout.
"""


def _select(question: str, text: str, source: str) -> answering.Selection:
    hit = Hit("frob", "doc-00003", source, source, "", 0.9, text)
    return answering.select(question, [hit], HashEmbedder())


def test_a_heading_whose_arguments_hold_commas_defines_its_options() -> None:
    assert options.defined("--summary[=<width>[,<count>]] Produce a summary table.") == {
        "--summary"
    }
    assert options.defined("-Y[<a,b,...>], --spread[=<a,b,...>] Show the spread.") == {
        "-Y",
        "--spread",
    }
    assert options.defined("--empty={drop,keep,ask} What to do.") == {"--empty"}
    assert options.defined("-t, --track[=(direct|inherit)] Set up tracking.") == {"-t", "--track"}
    # a heading wrapped over two lines: the first ends in a comma
    assert options.defined("--mark-new=<char>, --mark-old=<char>,") == {
        "--mark-new",
        "--mark-old",
    }
    # "-R<start>,<end>:<file>" is option -R with its arguments
    assert options.defined("-R<start>,<end>:<file>, -R:<name>:<file> Trace a range.") == {"-R"}
    assert options.heading("--contains [<commit>] Only list tags.") == "--contains [<commit>]"
    # prose that starts with an option is still no heading
    assert options.defined("--global, --local, or --worktree. For more, see above.") == set()
    assert options.defined("--no-keep-empty).") == set()
    assert options.defined('--rebase", and push the result back.') == set()
    assert options.defined("--and, --or, --not, ( ... )") == set()


def test_the_entry_with_commas_in_its_heading_is_found_and_answers() -> None:
    q = "Which frob report option produces a summary table?"
    sel = _select(q, REPORT, "frob-man/frob-report.txt")
    assert sel.best is not None and sel.best.sentence.startswith("--summary[=<width>")
    assert answering.entry_answer(q, sel) is sel.best
    # retrieval counts the chunk whose entry the question describes (its heading parsed)
    chunks = [
        Chunk("report-00001", REPORT, {"source_name": "frob-report.txt"}),
        Chunk(
            "report-00000", "DESCRIPTION\nPrints a report.\n", {"source_name": "frob-report.txt"}
        ),
    ]
    assert set(KeywordIndex(chunks).described(q)) == {"report-00001"}
    assert KeywordIndex(chunks).defines[0] == {"--plain", "--summary", "--fancy"}


def test_an_entry_repeating_the_question_s_words_answers_it_with_its_option() -> None:
    # Its words are all the question's, but its option is what the question left open: no
    # restatement ("Use 10 g of salt." likewise answers "How much salt?").
    entry = (
        "--bare Make a bare Frob store. That is, the <directory> itself is the store, with no "
        "working tree."
    )
    q = "Which frob init option makes a bare store?"
    verdict = verify(entry, q, [entry])
    assert verdict.supported and verdict.answer.startswith("--bare Make a bare Frob store.")
    # without an option it still restates the question
    assert not verify("Make a bare Frob store.", q, [entry]).supported


LOG = """OPTIONS
-n <number>, --max-count=<number>
Limit the number of records to output.

--record-size
Include a line "record size <number>" in the output for each record of the log, where
<number> is the length of that record's text in bytes, within the limit of the line.
"""


def test_the_entry_shown_as_the_answer_is_in_the_evidence() -> None:
    # The runner-up holds more of the question's words ("log", "records", "output"): it
    # evicted the best entry from the evidence while the answer shown was that entry.
    q = "Which frob log option limits the number of records in the log output?"
    sel = _select(q, LOG, "frob-man/frob-log.txt")
    assert sel.best is not None and sel.best.sentence.startswith("-n <number>")
    assert answering.entry_answer(q, sel) is sel.best
    assert sel.best in sel.evidence()


CONFIG = """core.bigFileThreshold
Files larger than this size are stored deflated, without attempting delta compression.
Storing large files without delta compression avoids excessive memory usage.
"""
ATTRIBUTES = """DESCRIPTION
Frob tracks the content of files. Large files may be treated as binary, see the
attributes of each path.
"""


def test_a_command_no_page_documents_is_declined() -> None:
    # Pages frob-config.txt, frob-add.txt: "frob vault" is a command of a frob extension the
    # pages never mention (keywords would have found the word had they used it); the pages
    # share the question's other words ("track", "large files"), so the gate passes it.
    hits = [
        Hit("frob", "config-00007", "m/frob-config.txt", "frob-config.txt", "", 0.45, CONFIG),
        Hit("frob", "add-00002", "m/frob-add.txt", "frob-add.txt", "", 0.41, ATTRIBUTES),
    ]
    q = "How do I make frob vault track large files?"
    assert reference.unseen_command(q, hits) == "vault"
    assert not answering.select(q, hits, HashEmbedder()).covered
    # a command the pages do document, or a word they use, is no gap
    assert reference.unseen_command("How do I make frob add track large files?", hits) is None
    assert reference.unseen_command("Can frob config store large files?", hits) is None
    assert reference.unseen_command("Does frob track large files?", hits) is None
    # notes whose file names share no family ("bread-baking.md") name no command
    notes = [Hit("cook", "b-1", "k/bread-baking.md", "bread-baking.md", "", 0.5, ATTRIBUTES)]
    assert reference.unseen_command("How do I bake bread rolls?", notes) is None


def test_an_option_question_s_wording_is_no_unseen_subject() -> None:
    # "the change lands" was taken for the thing asked about, and "lands" is in no chunk: but
    # a question asking which option does something is about an option, in its own words.
    hits = [
        Hit("frob", "diff-00009", "m/frob-diff.txt", "frob-diff.txt", "", 0.61, SPREAD),
        Hit("frob", "log-00002", "m/frob-log.txt", "frob-log.txt", "", 0.52, LOG),
    ]
    q = "Which frob diff option shows how much of the change lands in each folder?"
    assert reference.unseen_subject(q, hits) is None
    sel = answering.select(q, hits, HashEmbedder())
    assert sel.covered and answering.entry_answer(q, sel) is sel.best
    # other questions still name their subject ("hydrangeas" in no chunk)
    assert reference.unseen_subject("When should I prune the hydrangeas?", hits) == "hydrangeas"


SPREAD = """OPTIONS
-X[<param1,param2,...>], --spread[=<param1,param2,...>]
Output the distribution of relative amount of changes for each folder.

--short
Output only the last line of the summary.
"""


def test_a_name_with_a_verb_ending_is_one_the_pages_use() -> None:
    # "GPG-signs" in the question, "GPG-sign" in the entry: the same name.
    entry = "--[no-]signed, --signed=(true|false)\nGPG-sign the push request to update refs.\n"
    hits = [
        Hit("frob", "push-00005", "m/frob-push.txt", "frob-push.txt", "", 0.77, entry),
        Hit("frob", "push-00006", "m/frob-push.txt", "frob-push.txt", "", 0.60, LOG),
    ]
    q = "Which frob push option GPG-signs the push request?"
    assert reference.unseen_names(q, hits) == []
    sel = answering.select(q, hits, HashEmbedder())
    assert sel.covered and sel.best is not None and sel.best.sentence.startswith("--[no-]signed")
    assert reference.unseen_names("How do I GPG-sign with Bitbucket?", hits) == ["Bitbucket"]
