"""The `frontdesk` command: a thin layer over the Engine."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from frontdesk.errors import FrontdeskError, InputError

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from site-packages, never a hub
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def _engine() -> Any:
    from frontdesk.engine import Engine

    return Engine()


def _settings() -> Any:
    from frontdesk.settings import Settings

    return Settings()


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def _progress_bar() -> Any:
    """A progress callback: a bar on a terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(
                total=total, desc=stage, unit="file" if stage == "read" else "chunk", leave=False
            )
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()
            bars.pop(stage)

    return update


def cmd_ask(args: argparse.Namespace) -> int:
    from frontdesk.desks import origin_note
    from frontdesk.tool_loop import describe

    engine = _engine()
    if args.json:
        _print_json(engine.ask(args.question, args.thread, args.plugin, args.doc).as_dict())
        return 0
    # On a terminal the answer streams; piped, only the graph's final answer is printed, so
    # what a script reads is exactly the answer (the one contract of every front end).
    live = sys.stdout.isatty()
    result: dict[str, Any] = {}
    for event in engine.stream(args.question, args.thread, args.plugin, document=args.doc):
        if event.kind == "route":
            names = ", ".join(f"{p['name']} ({p['score']:.2f})" for p in event.data["plugins"])
            print(
                f"[{event.data['mode']}: {names or 'coordinator'} - {event.data['reason']}]",
                file=sys.stderr,
            )
            if event.data.get("standalone"):
                print(f"[understood as: {event.data['standalone']}]", file=sys.stderr)
        elif event.kind == "token" and event.data["answer"] and live:
            print(event.data["text"], end="", flush=True)
        elif event.kind == "replace" and live:
            print("\n[the checked answer replaces the text above:]", file=sys.stderr)
            print(event.data["text"], end="", flush=True)
        elif event.kind == "escalate":
            print(f"\n[{event.data['reason']}]", file=sys.stderr)
        elif event.kind == "answer":
            result = event.data
    print("" if live else result.get("answer", ""))
    for i, c in enumerate(result.get("citations", []), 1):
        print(f"  [{i}] {c['plugin']}/{c['source']} ({c['chunk_id']})", file=sys.stderr)
    route = result.get("route", {})
    for line in describe(route).splitlines():  # the tool calls the answer rests on
        print(f"[{line}]", file=sys.stderr)
    label = origin_note(route)
    if label:
        print(f"[{label}]", file=sys.stderr)
    print(f"[mode: {route.get('mode')}; {result.get('seconds', 0):.1f}s]", file=sys.stderr)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from frontdesk.ingest_all import ingest_each, summary_table

    outcomes = ingest_each(_engine(), args.plugins or None, _progress_bar(), args.skip_bad)
    for o in outcomes:
        if args.json:
            _print_json(o.as_dict())
            continue
        if o.report is not None:
            print(o.report.summary())
        for err in [o.error] if o.error else o.report.errors if o.report else []:
            print(f"{o.plugin}: {err}", file=sys.stderr)
    if not args.json:
        print("\n".join(summary_table(outcomes)))
    return 0 if all(o.ok for o in outcomes) else 1


def cmd_search(args: argparse.Namespace) -> int:
    hits = _engine().search(args.query, args.plugin, args.k, args.doc)
    if args.json:
        _print_json([h.as_dict() for h in hits])
        return 0
    for h in hits:
        print(f"{h.score:.3f}  {h.source_name} ({h.chunk_id})")
        print("       " + h.text[:200].replace("\n", " "))
    return 0


def cmd_route(args: argparse.Namespace) -> int:
    if bool(args.question) == bool(args.file):
        raise InputError("give a QUESTION or --file QUESTIONS.txt (one of them)")
    if args.file:
        try:
            questions = [q.strip() for q in Path(args.file).read_text().splitlines() if q.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{args.file}: cannot read ({exc})") from None
    else:
        questions = [args.question]
    engine = _engine()
    for q in questions:
        route = engine.route(q)
        if args.json:
            d = route.as_dict()
            _print_json(
                {"query": q, "plugins": d["plugins"], "mode": d["mode"], "reason": d["reason"]}
            )
        else:
            names = ", ".join(f"{p.name} ({p.score:.2f})" for p in route.plugins) or "-"
            print(f"{route.mode:<11} {names:<40} {q}")
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    info = _engine().plugin_info()
    if args.json:
        _print_json(info)
        return 0
    for p in info:
        if p["name"] is None:
            print(f"BROKEN  {p['error']}")
            continue
        state = f"{p['documents']} docs, {p['chunks']} chunks" if p["chunks"] else "not ingested"
        print(f"{p['name']:<16} {p['model']:<22} {state:<24} {p['description'][:60]}")
        if p["error"]:
            print(f"  problem: {p['error']}")
    return 0


def cmd_plugin_new(args: argparse.Namespace) -> int:
    from frontdesk.scaffold import new_plugin

    if args.package:
        from frontdesk.scaffold_package import new_package

        root = new_package(args.name, Path(args.dir or "."))
        print(f"created {root} (an installable package; see its README.md: pip install -e {root})")
        return 0
    folder = new_plugin(args.name, Path(args.dir or "plugins"))
    print(
        f"created {folder} (edit plugin.toml, add documents to {folder / 'knowledge'}, "
        f"then: frontdesk ingest {args.name})"
    )
    return 0


def cmd_plugin_check(args: argparse.Namespace) -> int:
    from frontdesk.plugin_check import check_plugins

    report = check_plugins(Path(args.path) if args.path else None, _settings())
    for line in report.ok:
        print(line)
    if not args.path and not report.problems:  # all installed plugins: which ones overlap
        from frontdesk.routing_fit import format_overlaps, plugin_overlaps

        for line in format_overlaps(plugin_overlaps(_engine())):
            print(line)
    for line in report.warnings + report.problems:
        print(line, file=sys.stderr)
    return 2 if report.problems else 0


def cmd_reload(args: argparse.Namespace) -> int:
    from frontdesk.reload_client import request_reload

    report = request_reload(args.url, _settings(), ingest=not args.no_ingest)
    if args.json:
        _print_json(report)
    else:
        for line in report["lines"]:
            print(line)
        for line in report["errors"]:
            print(line, file=sys.stderr)
    return 2 if report["errors"] else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from frontdesk.server import serve

    serve(args.host, args.port, allow_public=args.allow_public)
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from frontdesk.calibration import calibrate

    result = calibrate(_engine(), args.plugins or None, Path(args.labels) if args.labels else None)
    if args.json:
        _print_json(result.report)
    else:
        for line in result.report["lines"]:
            print(line)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from frontdesk.evaluate import check_cases, format_report, load_cases, report, run_eval

    if not 1 <= args.k <= 100:
        raise InputError(f"--k must be between 1 and 100, not {args.k}")
    cases = load_cases(Path(args.file))
    engine = _engine()
    check_cases(engine, cases, Path(args.file))
    bar = _progress_bar()
    results = run_eval(
        engine,
        cases,
        args.k,
        args.force_plugin,
        (lambda done, total: bar("questions", done, total)) if bar else None,
    )
    rep = report(results, args.k)
    from frontdesk.routing_fit import format_overlaps, plugin_overlaps

    rep["overlaps"] = plugin_overlaps(engine)  # plugins whose examples route to each other
    if args.json:
        _print_json(rep)
    else:
        print("\n".join([*format_report(rep), *format_overlaps(rep["overlaps"])]))
    return 0


def cmd_threads_list(args: argparse.Namespace) -> int:
    threads = _engine().threads(args.limit)
    if args.json:
        _print_json(threads)
        return 0
    for t in threads:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(t["updated"]))
        print(f"{t['thread_id']:<34} {when}  {t['title']}")
    return 0


def cmd_threads_delete(args: argparse.Namespace) -> int:
    from frontdesk.errors import NotFoundError

    if not _engine().delete_thread(args.thread_id):
        raise NotFoundError(f"no thread '{args.thread_id}' (frontdesk threads list shows them)")
    print(f"deleted thread {args.thread_id}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from frontdesk import __version__

    parser = argparse.ArgumentParser(prog="frontdesk", description=__doc__)
    parser.add_argument(
        "--trace-hooks",
        action="store_true",
        help="log every plugin hook call (which plugins, how long) to stderr",
    )
    parser.add_argument("--version", action="version", version=f"frontdesk {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ask", help="answer a question")
    p.add_argument("question")
    p.add_argument("--thread", help="conversation id: later questions see earlier turns")
    p.add_argument("--plugin", help="force this specialist")
    p.add_argument("--doc", help="ask about this document of --plugin only (name as cited)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("ingest", help="read plugins' knowledge into their stores")
    p.add_argument("plugins", nargs="*")
    p.add_argument("--skip-bad", action="store_true", help="skip unreadable files (exit 1)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="search one plugin's knowledge")
    p.add_argument("query")
    p.add_argument("--plugin", required=True)
    p.add_argument("--k", type=int, default=4)
    p.add_argument("--doc", help="search this document of the plugin only (name as cited)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("route", help="show where questions would go (no text generation)")
    p.add_argument("question", nargs="?")
    p.add_argument("--file", help="one question a line")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("eval", help="score answers against a JSONL file of reference answers")
    p.add_argument(
        "file", help='lines {"question", "plugin", "answers": [...], "thread"?, "document"?}'
    )
    p.add_argument("--k", type=int, default=3, help="chunks searched for hit@k (default 3)")
    p.add_argument(
        "--force-plugin", action="store_true", help="ask each line's plugin (no routing)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("plugins", help="list plugins (and broken manifests)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("plugin", help="create or check a plugin")
    psub = p.add_subparsers(dest="plugin_command", required=True)
    q = psub.add_parser("new", help="scaffold a working plugin folder")
    q.add_argument("name")
    q.add_argument("--dir", help="where to create it (default: plugins, or . with --package)")
    q.add_argument(
        "--package",
        action="store_true",
        help="an installable package (pyproject with the frontdesk.plugins entry point, a test)",
    )
    q.set_defaults(func=cmd_plugin_new)
    q = psub.add_parser("check", help="validate plugin manifests and knowledge paths")
    q.add_argument("path", nargs="?", help="a plugin folder (default: every plugin found)")
    q.set_defaults(func=cmd_plugin_check)

    p = sub.add_parser("serve", help="start the web chat and the OpenAI-compatible API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument(
        "--allow-public",
        action="store_true",
        help="bind beyond loopback without FRONTDESK_API_KEYS (not recommended)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("reload", help="make a running server pick up plugin changes")
    p.add_argument(
        "--url", default="http://127.0.0.1:7860", help="the server (default: %(default)s)"
    )
    p.add_argument("--no-ingest", action="store_true", help="do not ingest added/changed plugins")
    p.add_argument("--json", action="store_true", help="print the reload report as JSON")
    p.set_defaults(func=cmd_reload)

    p = sub.add_parser("threads", help="list or delete conversation threads")
    psub = p.add_subparsers(dest="threads_command", required=True)
    q = psub.add_parser("list", help="threads, most recent first")
    q.add_argument("--limit", type=int, default=100)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_threads_list)
    q = psub.add_parser("delete", help="forget a thread (its messages and log rows)")
    q.add_argument("thread_id")
    q.set_defaults(func=cmd_threads_delete)

    p = sub.add_parser("calibrate", help="fit routing thresholds and the routing model")
    p.add_argument("plugins", nargs="*", help="replace only these plugins' own thresholds")
    p.add_argument("--labels", help='a JSONL file of {"query": ..., "plugin": name or null}')
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_calibrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.trace_hooks:  # read by Settings, like every switch
        os.environ["FRONTDESK_TRACE_HOOKS"] = "1"
    try:
        return int(args.func(args))
    except FrontdeskError as exc:
        print(f"frontdesk: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        from frontdesk.settings import describe_error

        print(f"frontdesk: error: {describe_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("frontdesk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
