"""The Plugins and Stats tabs: a readable table of the plugins, and answer figures for this
server or for all stored history."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from frontdesk.engine import Engine

COLUMNS = ("plugin", "model", "documents", "chunks", "last ingest", "status", "errors")
THIS_SERVER, ALL_HISTORY = "this server", "all history"


def plugin_rows(engine: Engine) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for p in engine.plugin_info():
        if p["name"] is None:  # broken manifests first: they need attention
            rows.insert(
                0,
                {
                    "plugin": "(broken)",
                    "description": p.get("manifest", ""),
                    "model": "",
                    "documents": 0,
                    "chunks": 0,
                    "last ingest": "",
                    "status": "broken",
                    "errors": p["error"],
                },
            )
            continue
        rows.append(
            {
                "plugin": p["name"],
                "description": p["description"],
                "model": p["model"],
                "documents": p["documents"],
                "chunks": p["chunks"],
                "last ingest": p["last_ingest"] or "never",
                "status": "error" if p["error"] else ("ok" if p["chunks"] else "not ingested"),
                "errors": p["error"] or "",
            }
        )
    return rows


def plugin_choices(engine: Engine, target: str | None) -> tuple[Any, Any, Any]:
    """The specialist picker's, the ingest target's and the feedback form's choices, as of
    now: a page loaded after a plugin reload (frontdesk.reload) offers the plugins it added
    and none it removed."""
    from .chat import AUTO
    from .feedback import specialist_choices

    names = sorted(engine.plugins)
    chosen = target if target in names else (names[0] if names else None)
    return (
        gr.Dropdown(choices=[AUTO, *names]),
        gr.Dropdown(choices=names, value=chosen),
        gr.Dropdown(choices=specialist_choices(engine)),  # type: ignore[arg-type]
    )


def _cell(value: Any) -> str:
    return html.escape(" ".join(str(value).split()))  # one line: shown by a Markdown component


def plugins_table(engine: Engine) -> str:
    """An HTML table (escaped): words never break mid-word, descriptions wrap under names."""
    head = "".join(f"<th scope='col'>{c}</th>" for c in COLUMNS)
    body = []
    for r in plugin_rows(engine):
        cells = [
            f"<th scope='row'><span class='fd-name'>{_cell(r['plugin'])}</span>"
            f"<span class='fd-desc'>{_cell(r['description'])}</span></th>"
        ]
        cells += [f"<td>{_cell(r[c])}</td>" for c in COLUMNS[1:]]
        status = _cell(r["status"]).replace(" ", "-")
        body.append(f"<tr class='fd-{status}'>{''.join(cells)}</tr>")
    return (
        "<div class='fd-table-wrap'><table class='fd-plugins'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _bars(rows: list[tuple[str, float]], unit: str) -> str:
    """A table with a bar per row, drawn in text (Gradio's plots log Vega warnings)."""
    top = max((v for _, v in rows), default=0) or 1
    lines = ["<table class='fd-stats'><tbody>"]
    for label, value in rows:
        bar = "█" * max(1, round(20 * value / top)) if value else ""
        shown = (
            f"{value:.2f}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"
        )
        lines.append(
            f"<tr><th scope='row'>{_cell(label)}</th><td class='fd-bar'>{bar}</td>"
            f"<td>{shown} {_cell(unit)}</td></tr>"
        )
    lines.append("</tbody></table>")
    return "".join(lines)


def stats_views(engine: Engine, scope: str) -> tuple[str, str]:
    """The summary line and the figures (answers by mode; calls, tokens, seconds per model)."""
    s = engine.stats(since_start=scope != ALL_HISTORY)
    share = f"{s['specialist_only_share']:.0%}" if s["answers"] else "—"
    where = (
        "by this server since it started"
        if scope != ALL_HISTORY
        else "in all stored history (every server and CLI sharing this home)"
    )
    text = (
        f"**{s['answers']}** answers {where} · **{share}** never reached the coordinator · "
        f"latency p50 {s['latency_p50']:.2f}s, p95 {s['latency_p95']:.2f}s"
    )
    if not s["answers"]:
        return text, "No answers yet."
    models = s["models"]
    parts = [
        "<h4>Answers by mode</h4>",
        _bars([(k, v) for k, v in s["modes"].items()], "answers"),
        "<h4>Calls per model</h4>",
        _bars([(m["model"], m["calls"]) for m in models], "calls"),
        "<h4>Tokens per model (in / out)</h4>",
        _bars(
            [(f"{m['model']} in", m["input_tokens"]) for m in models]
            + [(f"{m['model']} out", m["output_tokens"]) for m in models],
            "tokens",
        ),
        "<h4>Seconds per call</h4>",
        _bars([(m["model"], float(m["seconds_per_call"])) for m in models], "s"),
    ]
    return text, "<div class='fd-figures'>" + "".join(parts) + "</div>"
