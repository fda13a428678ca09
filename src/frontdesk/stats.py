"""Figures over answered questions: how many stayed with specialists, and cost per model."""

from __future__ import annotations

from typing import Any


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def summarize(answers: list[dict[str, Any]]) -> dict[str, Any]:
    """`answers` as kept by the AnswerLog (mode, reached_coordinator, seconds, usage)."""
    total = len(answers)
    modes: dict[str, int] = {}
    per_model: dict[str, dict[str, Any]] = {}
    for a in answers:
        modes[a["mode"]] = modes.get(a["mode"], 0) + 1
        for u in a["usage"]:
            m = per_model.setdefault(
                u["model"],
                {
                    "model": u["model"],
                    "calls": 0,
                    "input_tokens": 0,
                    "output_tokens": 0,
                    "seconds": 0.0,
                },
            )
            for key in ("calls", "input_tokens", "output_tokens", "seconds"):
                m[key] += u[key]
    for m in per_model.values():
        m["seconds_per_call"] = round(m["seconds"] / m["calls"], 3) if m["calls"] else 0.0
        m["seconds"] = round(m["seconds"], 3)
    specialists_only = sum(1 for a in answers if not a["reached_coordinator"])
    latencies = [a["seconds"] for a in answers]
    return {
        "answers": total,
        "specialist_only": specialists_only,
        "specialist_only_share": round(specialists_only / total, 4) if total else 0.0,
        "modes": modes,
        "models": sorted(per_model.values(), key=lambda m: m["model"]),
        "latency_p50": round(percentile(latencies, 0.5), 3),
        "latency_p95": round(percentile(latencies, 0.95), 3),
    }
