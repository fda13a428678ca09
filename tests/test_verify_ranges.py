"""Counts said in words ("twice a week") and "X or Y" ranges, as the verification reads them.

Seen in the CLI (session 6): "How often should I water tomatoes?" → "Water tomatoes twice a
week, about 10 litres per plant each time." passed as supported; the notes say "two or three
times a week" (and "sometimes twice" a day for tomatoes in pots, another sentence).
"""

from __future__ import annotations

import pytest

from frontdesk.verify import check_claim, numbers, numbers_not_in, verify

TOMATOES = [
    "Tomatoes in the ground need a deep watering two or three times a week, about 10 litres per "
    "plant each time in warm weather, more often in a heatwave.",
    "Tomatoes in pots dry out much faster and usually need water every day in summer, "
    "sometimes twice.",
]
TOMATOES_Q = "How often should I water tomatoes?"


def test_twice_thrice_and_once_a_week_are_counts() -> None:
    assert [n for n, _ in numbers("Water twice a week.")] == ["2"]
    assert [n for n, _ in numbers("Stir thrice.")] == ["3"]
    assert [n for n, _ in numbers("Bleed them once a year.")] == ["1"]
    # "once" as a conjunction is no count
    assert numbers("Once the dough has doubled, shape it.") == []
    assert numbers_not_in("Feed it twice a day.", "Feed it once a day.") == ["2"]


def test_twice_a_week_for_two_or_three_times_a_week_is_not_supported() -> None:
    problem = check_claim(
        "Water tomatoes twice a week, about 10 litres per plant each time.", TOMATOES_Q, TOMATOES
    )
    assert problem is not None and "range" in problem, problem
    verdict = verify(
        "Water tomatoes twice a week, about 10 litres per plant each time.", TOMATOES_Q, TOMATOES
    )
    assert verdict.repaired and "twice a week" not in verdict.answer
    assert "two or three times a week" in verdict.answer


@pytest.mark.parametrize(
    ("claim", "ok"),
    [
        ("Water them three times a week.", False),  # the other end
        ("Water them two or three times a week.", True),
        ("Water them 2 or 3 times a week.", True),
        ("Tomatoes in pots need water every day, sometimes twice.", True),  # that sentence's twice
    ],
)
def test_one_end_of_an_or_range_is_cut_as_for_a_to_range(claim: str, ok: bool) -> None:
    problem = check_claim(claim, TOMATOES_Q, TOMATOES)
    assert (problem is None) == ok, problem
