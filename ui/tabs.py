"""The Plugins and Stats tabs: a readable table of the plugins, and answer figures for this
server or for all stored history."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

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


def plugins_table(engine: Engine) -> str:
    """An HTML table (escaped): words never break mid-word, descriptions wrap under names."""
    head = "".join(f"<th scope='col'>{c}</th>" for c in COLUMNS)
    body = []
    for r in plugin_rows(engine):
        cells = [
            f"<th scope='row'><span class='fd-name'>{html.escape(str(r['plugin']))}</span>"
            f"<span class='fd-desc'>{html.escape(str(r['description']))}</span></th>"
        ]
        cells += [f"<td>{html.escape(str(r[c]))}</td>" for c in COLUMNS[1:]]
        status = html.escape(str(r["status"]).replace(" ", "-"))
        body.append(f"<tr class='fd-{status}'>{''.join(cells)}</tr>")
    return (
        "<div class='fd-table-wrap'><table class='fd-plugins'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def stats_views(engine: Engine, scope: str) -> tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
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
    modes = pd.DataFrame(
        [{"mode": k, "answers": v} for k, v in s["modes"].items()]
        or [{"mode": "none yet", "answers": 0}]
    )
    models = pd.DataFrame(
        s["models"]
        or [
            {
                "model": "none yet",
                "calls": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "seconds": 0.0,
                "seconds_per_call": 0.0,
            }
        ]
    )
    tokens = models.melt(
        id_vars=["model"],
        value_vars=["input_tokens", "output_tokens"],
        var_name="kind",
        value_name="tokens",
    )
    return text, modes, models, tokens
