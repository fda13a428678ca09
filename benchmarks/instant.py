"""`frontdesk` with the scripted models of frontdesk.testing registered (`fake:facts` answers at
once with the first fact it is given), for benchmarks whose figure must be ours, not a model's:

    python -m benchmarks.instant serve --port 8000

The model runs inside the replica's process, so no model host shares the CPU being measured.
"""

from __future__ import annotations

import sys

import frontdesk.testing  # noqa: F401  (registers the `fake` backend)
from frontdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
