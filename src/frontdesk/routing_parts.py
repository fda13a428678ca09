"""A two-part question whose parts clearly belong to two plugins goes to both.

"How far ahead should I salt a steak, and what do I cut thick branches with?" went to cooking
alone: the whole question scored 0.35 (the ambiguous band, no plugin confident), and the router
sends a part to a second plugin only when that plugin is confident for it (accept 0.55). Each
part on its own was clear (salting: cooking 0.43, next 0.16; branches: gardening 0.38, next
0.17), so the branches part was never asked of gardening and was said to be not covered, or
dropped. Here each part's own winner is taken when every part has one that fits (at or above
its reject threshold) and leads the next plugin by a clear margin; a question whose parts all
go to one plugin is left to the router as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frontdesk.router import PluginScore, Thresholds

# How far a part's best plugin must lead the next one: the two cross-plugin questions of the
# dev set lead by 0.21 and 0.29; scores within 0.15 of each other are what the ambiguous band
# (and the coordinator LLM, when allowed) is there to decide.
CLEAR_LEAD = 0.15


def owners(
    by_part: list[list[PluginScore]], thresholds: Callable[[str], Thresholds]
) -> list[PluginScore]:
    """The plugins that clearly own a part each, best score first, when they are at least
    two; [] when a part has no clear owner or every part has the same one."""
    winners: dict[str, PluginScore] = {}
    for scores in by_part:
        if not scores:
            return []
        best = scores[0]
        runner = scores[1].score if len(scores) > 1 else 0.0
        if best.score < thresholds(best.name).reject or best.score - runner < CLEAR_LEAD:
            return []
        if best.name not in winners or winners[best.name].score < best.score:
            winners[best.name] = best
    if len(winners) < 2:
        return []
    return sorted(winners.values(), key=lambda s: s.score, reverse=True)
