"""`frontdesk plugin new` (checks: plugin_check.py)."""

from __future__ import annotations

from pathlib import Path

from frontdesk.errors import InputError
from frontdesk.plugins import MANIFEST, NAME_PATTERN

TEMPLATE = """name = "{name}"
description = "Describe in one or two sentences what {name} knows about; the router reads this."
examples = [
    "A question a user would ask this plugin",
    "Another typical question, worded differently",
]
# model = "llamacpp:smollm2"   # or "ollama:qwen2.5:0.5b@http://host:11434", "openai:model@url"
system_prompt = "You are a careful specialist in {name}. Answer from the reference notes."

[knowledge]
paths = ["knowledge"]

[retrieval]
top_k = 3
"""

WELCOME = """# About {name}

Replace this page with your own documents (.md, .txt, .html or .pdf) in this folder.
Each file is split into chunks, embedded, and stored in the {name} plugin's own collection
when you run `frontdesk ingest {name}`.
"""


def new_plugin(name: str, where: Path) -> Path:
    if not NAME_PATTERN.match(name):
        raise InputError(
            f"plugin name '{name}' must start with a lowercase letter and hold only a-z, 0-9, - or _"
        )
    folder = where / name
    if folder.exists():
        raise InputError(f"{folder} already exists; choose another name or remove it")
    (folder / "knowledge").mkdir(parents=True)
    (folder / MANIFEST).write_text(TEMPLATE.format(name=name), encoding="utf-8")
    (folder / "knowledge" / "about.md").write_text(WELCOME.format(name=name), encoding="utf-8")
    return folder
