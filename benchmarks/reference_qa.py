"""Reference questions: the example plugins, and a plugin made from git's man pages.

    python -m benchmarks.reference_qa --json benchmarks/results/reference_qa.json

- `examples`: benchmarks/data/examples_qa.jsonl (questions written for this project from
  knowledge/), asked of the bundled example plugins with routing (nothing forced).
- `examples_dev`: benchmarks/data/examples_dev_qa.jsonl, other questions a user asks of the same
  plugins (follow-ups, multi-part, "why?", gaps): the set answering changes are chosen on; the
  `examples` set stays a test set.
- `manpages`: benchmarks/data/manpages_qa.jsonl, asked of a plugin `git` built at run time in a
  temporary folder from 31 of Debian's git man pages (`apt-get install -y git-man`), turned into
  text by groff. The plugin is forced (it is the only one).
- `manpages_dev`: benchmarks/data/manpages_dev_qa.jsonl, our own questions on the same plugin
  (other options than the test set's): the dev set `--fit-structure` fits answering.STRUCTURE's
  weights on. The man-page test set is never used for fitting.
- `newdomain_dev`: benchmarks/data/newdomain_dev_qa.jsonl, a plugin author's own domain (a home
  aquarium, benchmarks/data/newdomain_plugin: written with `frontdesk plugin new`, ten documents
  of our own) asked beside the example plugins, with routing (session 10). A dev set: it has no
  test split.
`--retrieval-only` compares retrieval variants by hit@k without generating; `--select-only`
scores retrieval + answer selection (does the selected evidence hold a reference answer?).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import qa
from benchmarks.common import REPO, machine
from frontdesk import answering
from frontdesk.evaluate import format_report, load_cases

DATA = REPO / "benchmarks" / "data"
NEW_DOMAIN = DATA / "newdomain_plugin"  # a plugin folder, as `frontdesk plugin new` wrote it
MAN = Path("/usr/share/man/man1")
_PAGES = (
    "add bisect blame branch checkout cherry-pick clean clone commit config diff fetch grep init "
    "log merge mv pull push rebase remote reset restore revert rm show stash status switch tag "
    "worktree"
)
GIT_PAGES = _PAGES.split(" ")


def man_to_text(page: Path) -> str:
    """A man page as plain text (groff, no hyphenation, 100 columns, no overstrikes)."""
    roff = subprocess.run(["zcat", str(page)], check=True, capture_output=True).stdout
    cmd = ["groff", "-t", "-man", "-Tutf8", "-rHY=0", "-rLL=100n", "-P", "-cbou"]
    return subprocess.run(cmd, input=roff, check=True, capture_output=True).stdout.decode()


def git_plugin(root: Path, pages: list[str] = GIT_PAGES) -> None:
    """Write plugin `git` with the man pages as .txt documents under `root`."""
    if not shutil.which("groff") or not (MAN / "git-stash.1.gz").is_file():
        sys.exit(
            "the man-page set needs groff and git's man pages: apt-get install -y git-man groff"
        )
    knowledge = root / "git-man"
    knowledge.mkdir(parents=True, exist_ok=True)
    for name in pages:
        (knowledge / f"git-{name}.txt").write_text(man_to_text(MAN / f"git-{name}.1.gz"))
    qa.write_plugin(
        root / "plugins",
        "git",
        "Git commands and their options, from git's reference manual pages.",
        ["How do I stash untracked files?", "What does git reset --soft do?"],
        knowledge,
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        choices=["examples", "examples_dev", "manpages", "manpages_dev", "newdomain_dev", "both"],
        default="both",
    )
    parser.add_argument("--limit", type=int, help="first N questions of each set")
    parser.add_argument("--k", type=int, default=3, help="chunks for hit@k")
    parser.add_argument("--retrieval-only", action="store_true", help="hit@k per variant only")
    parser.add_argument(
        "--select-only", action="store_true", help="retrieval + answer selection, no generation"
    )
    parser.add_argument(
        "--fit-structure",
        action="store_true",
        help="fit the option-entry weights on --set manpages_dev (answer_model.json), then report",
    )
    parser.add_argument("--home", help="a folder to keep the stores in (reused when run again)")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--smoke", action="store_true", help="3 questions a set, 3 man pages")
    args = parser.parse_args(argv)
    if args.smoke:
        args.limit = args.limit or 3
    sets = ["examples", "manpages"] if args.set == "both" else [args.set]
    out: dict[str, Any] = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "sets": {}}
    reports: dict[str, dict[str, Any]] = {}
    for name in sets:
        cases = load_cases(DATA / f"{name}_qa.jsonl")[: args.limit]
        with tempfile.TemporaryDirectory(prefix=f"fd-{name}-") as tmp:
            # both man-page sets ask the same plugin, both example sets the example plugins
            store = "manpages" if name.startswith("manpages") else "examples"
            store = "newdomain" if name == "newdomain_dev" else store
            work = Path(args.home) / store if args.home else Path(tmp)
            if name == "newdomain_dev":  # the author's plugin beside the example plugins
                engine = qa.make_engine(work / "home", NEW_DOMAIN, bundled=True)
            elif name.startswith("manpages"):
                # the smoke run's questions are about the first three of these pages
                git_plugin(work, ["stash", "reset", "branch"] if args.smoke else GIT_PAGES)
                engine = qa.make_engine(work / "home", work / "plugins", bundled=False)
            else:
                engine = qa.make_engine(work / "home", None, bundled=True)
            ingest = qa.ingest(engine)
            record: dict[str, Any] = {"questions": len(cases), "ingest": ingest}
            if args.fit_structure and name == "manpages_dev":
                coef = qa.fit_structure(engine, cases)
                data = json.loads(answering.MODEL_FILE.read_text())
                data["structure"] = {
                    "fitted_on": "benchmarks/data/manpages_dev_qa.jsonl, reference_qa --fit-structure",
                    "features": list(answering.STRUCTURE),
                    "coef": coef,
                }
                answering.MODEL_FILE.write_text(json.dumps(data, indent=1) + "\n")
                answering.default_model.cache_clear()
                print(f"structure weights {coef} -> {answering.MODEL_FILE}")
            if args.select_only:
                record["selection"] = sel = qa.selection_only(engine, cases)
                print(
                    f"{name}: selected evidence right {sel['correct']:.1%}, "
                    f"best candidate alone {sel['best_alone']:.1%}"
                )
                for r in sel["results"]:
                    if not r["correct"]:
                        print(f"  x {r['question']}\n      {r['said'][:160]!r}")
            elif args.retrieval_only:
                record["retrieval"] = qa.retrieval_variants(
                    engine, cases, args.k, qa.RETRIEVAL_VARIANTS
                )
                print(
                    f"{name} hit@{args.k}: "
                    + ", ".join(f"{n} {v:.1%}" for n, v in record["retrieval"].items())
                )
            else:
                rep = qa.evaluate(engine, cases, args.k, name.startswith("manpages"))
                reports[name] = rep
                print(f"--- {name}")
                print("\n".join(format_report(rep)))
                record.update({k: v for k, v in rep.items() if k != "results"})
                record["answers"] = rep["results"]
            out["sets"][name] = record
    if reports:
        print(qa.scores_table(reports, args.k))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
