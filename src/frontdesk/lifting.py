"""Putting a near candidate first in a rerank (reasons, instructions, durations, asked_kind).

The lifted candidate takes the first one's score: the selection's evidence is what scores
close to the first candidate, and a lifted sentence must stay evidence for the answer."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frontdesk.answering import Candidate


def lift(
    ranked: Sequence[Candidate],
    chosen: Candidate,
    *,
    replacing: Iterable[Candidate] | None = None,
    rest: Iterable[Candidate] | None = None,
    **changes: Any,
) -> list[Candidate]:
    """`chosen` first with the score of `ranked`'s first (and any other field `changes` give),
    then the others of `rest` (`ranked` unless given, in its order) without `chosen`, or without
    every one of `replacing` when `chosen` stands for several (a sentence joined with the one
    it refers to)."""
    first = dataclasses.replace(chosen, score=ranked[0].score, **changes)
    others = ranked if rest is None else rest
    if replacing is None:
        return [first, *(c for c in others if c is not chosen)]
    gone = list(replacing)
    return [first, *(c for c in others if c not in gone)]
