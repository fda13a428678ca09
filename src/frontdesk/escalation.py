"""When sending a specialist's unsupported answer to the coordinator can help.

Escalating costs a second model call and only pays when the coordinator knows more than the
specialist: BENCHMARKS.md showed that a coordinator running the same 135M model as the
specialist made answers no more grounded. So escalate only to a different model, and never
from one bundled model to another (they are all small); otherwise the specialist's honest
"not covered" (or its quoted evidence) is the answer.
"""

from __future__ import annotations

from frontdesk.models import BUNDLED_GGUF, parse_spec


def _bundled(spec: str) -> bool:
    try:
        parsed = parse_spec(spec)
    except ValueError:
        return False
    return parsed.backend == "llamacpp" and parsed.name in BUNDLED_GGUF


def helps(coordinator: str, specialist: str) -> bool:
    """True when the coordinator may answer better than the specialist's model."""
    if coordinator.strip() == specialist.strip():
        return False
    return not (_bundled(coordinator) and _bundled(specialist))
