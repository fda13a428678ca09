"""`frontdesk ingest` of several plugins: each one on its own, a summary of all, one exit code.

A plugin that cannot be ingested (a missing knowledge path, an unreadable file, a broken
manifest) is reported and the others still are, so one bad plugin never blocks the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from frontdesk.errors import FrontdeskError
from frontdesk.store import IngestReport, Progress

if TYPE_CHECKING:
    from frontdesk.engine import Engine


@dataclass
class Outcome:
    plugin: str
    report: IngestReport | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.report is not None and not self.report.errors

    def as_dict(self) -> dict[str, Any]:
        if self.report is not None:
            return {**self.report.as_dict(), "ok": self.ok}
        return {"plugin": self.plugin, "ok": False, "error": self.error}


def ingest_each(
    engine: Engine,
    names: list[str] | None = None,
    progress: Progress | None = None,
    skip_bad: bool = False,
) -> list[Outcome]:
    """Ingest the named plugins (all, with broken manifests as failures, when none are named)."""
    if names:
        for name in names:  # an unknown name is a typo: refuse before ingesting anything
            engine.plugin_set.get(name)
    outcomes: list[Outcome] = []
    for name in names or list(engine.plugins):
        try:
            outcomes.append(Outcome(name, report=engine.ingest([name], progress, skip_bad)[0]))
        except FrontdeskError as exc:
            outcomes.append(Outcome(name, error=str(exc)))
    if not names:
        outcomes.extend(Outcome(e.path, error=str(e)) for e in engine.plugin_set.errors)
    return outcomes


def summary_table(outcomes: list[Outcome]) -> list[str]:
    """One line a plugin (plugin, status, files, chunks, seconds), then the totals."""
    width = max([len("plugin"), *(len(o.plugin) for o in outcomes)])
    lines = [
        f"{'plugin':<{width}}  {'status':<6}  {'files':>5}  {'+chunks':>7}  {'total':>6}  secs"
    ]
    for o in outcomes:
        r = o.report
        if r is None:
            lines.append(f"{o.plugin:<{width}}  FAILED  {'-':>5}  {'-':>7}  {'-':>6}  -")
            continue
        status = "ok" if o.ok else "FAILED"
        lines.append(
            f"{o.plugin:<{width}}  {status:<6}  {r.files:>5}  {r.chunks_added:>7}  "
            f"{r.chunks_total:>6}  {r.seconds:.1f}"
        )
    good = sum(o.ok for o in outcomes)
    lines.append(f"{good} ok, {len(outcomes) - good} failed")
    return lines
