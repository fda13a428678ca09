"""`frontdesk plugin new` and `frontdesk plugin check`."""

from __future__ import annotations

from pathlib import Path

from frontdesk.errors import InputError, ManifestError
from frontdesk.plugins import MANIFEST, NAME_PATTERN, discover, load_manifest
from frontdesk.settings import Settings

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


def check_plugins(
    path: Path | None, settings: Settings | None = None
) -> tuple[list[str], list[str]]:
    """Validate one plugin folder (or every plugin found): (problems, ok lines)."""
    settings = settings or Settings()
    problems: list[str] = []
    ok: list[str] = []
    if path is not None:
        try:
            plugins = [load_manifest(path, settings)]
        except ManifestError as exc:
            return [str(exc)], []
    else:
        found = discover(settings)
        problems.extend(str(e) for e in found.errors)
        plugins = list(found.plugins.values())
    for plugin in plugins:
        try:
            files = plugin.knowledge_files()
        except InputError as exc:
            problems.append(str(exc))
            continue
        if not files:
            problems.append(
                f"plugin '{plugin.name}': no .md, .txt, .html or .pdf files under its knowledge "
                f"paths ({plugin.manifest_path}, field 'knowledge.paths')"
            )
            continue
        ok.append(f"ok  {plugin.name}: {len(files)} knowledge files, model {plugin.model}")
    return problems, ok
