"""Router thresholds fitted from data, stored under FRONTDESK_HOME/calibration.json."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from frontdesk.router import Thresholds

FILE = "calibration.json"


@dataclass
class Calibration:
    default: Thresholds
    plugins: dict[str, Thresholds] = field(default_factory=dict)
    report: dict[str, object] = field(default_factory=dict)

    def save(self, home: Path) -> Path:
        home.mkdir(parents=True, exist_ok=True)
        path = home / FILE
        tmp = path.with_suffix(".tmp")
        data = {
            "default": asdict(self.default),
            "plugins": {k: asdict(v) for k, v in self.plugins.items()},
            "report": self.report,
        }
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(path)  # never a half-written calibration
        return path


def load_calibration(home: Path) -> Calibration | None:
    path = home / FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return Calibration(
        default=Thresholds(**data["default"]),
        plugins={k: Thresholds(**v) for k, v in data.get("plugins", {}).items()},
        report=data.get("report", {}),
    )
