"""`frontdesk plugin check`: every problem of a plugin, found at once, before anyone asks.

Errors (exit 2): everything wrong with the manifest (all fields, not just the first), a name that
another plugin already uses on any source (folders, FRONTDESK_PLUGINS_PATH, entry points), a
llama.cpp model file that does not exist, an API key variable (`api_key_env`) that is not set,
knowledge paths that are missing or hold nothing readable. Warnings (exit 0): text of the
`plugin new` scaffold left in place.
"""

from __future__ import annotations

import glob
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from frontdesk.errors import InputError, ManifestError
from frontdesk.models import parse_spec, resolve_gguf
from frontdesk.plugins import MANIFEST, Plugin, discover, read_plugin
from frontdesk.settings import Settings

# Text of the scaffold (scaffold.py) that a finished plugin no longer holds.
PLACEHOLDERS = {
    "description": ("Describe in one or two sentences what",),
    "examples": (
        "A question a user would ask this plugin",
        "Another typical question, worded differently",
    ),
    "knowledge": ("Replace this page with your own documents",),
}
TEXT_SUFFIXES = {".md", ".txt", ".html", ".htm"}
PLACEHOLDER_SCAN_BYTES = 200_000  # placeholders sit in small files; big ones are not read


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ok: list[str] = field(default_factory=list)


def model_problem(manifest: Path, spec_text: str) -> ManifestError | None:
    """A model that cannot work on this machine whatever happens later: a missing .gguf file."""
    try:
        spec = parse_spec(spec_text)
        if spec.backend == "llamacpp":
            resolve_gguf(spec.name)
    except (ValueError, FileNotFoundError) as exc:
        return ManifestError(manifest, "model", f"{exc}; fix the path or the spec")
    return None


def api_key_problem(manifest: Path, variable: str | None) -> ManifestError | None:
    if variable and not os.environ.get(variable):
        return ManifestError(
            manifest,
            "api_key_env",
            f"the environment variable {variable} is not set; export it with the API key of "
            "this plugin's model host",
        )
    return None


def broken_manifest_problems(manifest: Path) -> list[str]:
    """The model and API key checks on a manifest that failed validation (all at once)."""
    try:
        raw = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # already reported by discovery
    model, variable = raw.get("model"), raw.get("api_key_env")
    problems = []
    if isinstance(model, str):
        try:
            parse_spec(model)  # a spec that does not parse is already a field error
            problems.append(model_problem(manifest, model))
        except ValueError:
            pass
    if isinstance(variable, str):
        problems.append(api_key_problem(manifest, variable))
    problems.extend(missing_knowledge(manifest, raw.get("knowledge")))
    return [str(p) for p in problems if p is not None]


def missing_knowledge(manifest: Path, knowledge: object) -> list[ManifestError]:
    """Knowledge paths naming nothing, resolved as discovery resolves them (plugins.py)."""
    paths = knowledge.get("paths") if isinstance(knowledge, dict) else None
    if not isinstance(paths, list):
        return []  # absent or malformed: a field error already says so
    missing = []
    for pattern in (p for p in paths if isinstance(p, str)):
        given = Path(pattern).expanduser()
        full = given if given.is_absolute() else manifest.parent.resolve() / pattern
        if not glob.glob(str(full), recursive=True):
            missing.append(
                ManifestError(
                    manifest,
                    "knowledge.paths",
                    f"knowledge path '{pattern}' does not exist; create it or fix the path",
                )
            )
    return missing


def placeholder_warnings(plugin: Plugin, files: list[Path]) -> list[str]:
    warnings: list[str] = []
    text = plugin.manifest_path.read_text(encoding="utf-8", errors="replace")
    for section in ("description", "examples"):
        if any(p in text for p in PLACEHOLDERS[section]):
            warnings.append(
                f"warning: {plugin.manifest_path}: field '{section}': still holds the "
                "placeholder text of `frontdesk plugin new`; write your own (routing reads it)"
            )
    for path in files:
        if path.suffix.lower() not in TEXT_SUFFIXES or path.stat().st_size > PLACEHOLDER_SCAN_BYTES:
            continue
        body = path.read_text(encoding="utf-8", errors="replace")
        if any(p in body for p in PLACEHOLDERS["knowledge"]):
            warnings.append(
                f"warning: {path}: the placeholder page of `frontdesk plugin new`; replace it "
                "with your own documents"
            )
    return warnings


def check_one(plugin: Plugin, report: CheckReport) -> None:
    """The checks beyond the manifest itself: model, API key, knowledge, placeholders."""
    checks = (
        model_problem(plugin.manifest_path, plugin.model),
        api_key_problem(plugin.manifest_path, plugin.api_key_env),
    )
    problems = [p for p in checks if p is not None]
    files: list[Path] = []
    try:
        files = plugin.knowledge_files()
        if not files:
            problems.append(
                ManifestError(
                    plugin.manifest_path,
                    "knowledge.paths",
                    "no .md, .txt, .html or .pdf files under its knowledge paths",
                )
            )
    except InputError as exc:
        report.problems.append(str(exc))
    report.problems.extend(str(p) for p in problems)
    report.warnings.extend(placeholder_warnings(plugin, files))
    if not problems and files:
        report.ok.append(f"ok  {plugin.name}: {len(files)} knowledge files, model {plugin.model}")


def check_plugins(path: Path | None, settings: Settings | None = None) -> CheckReport:
    """Validate one plugin folder (or every plugin found) against all the others."""
    settings = settings or Settings()
    report = CheckReport()
    found = discover(settings)
    if path is None:
        report.problems.extend(str(e) for e in found.errors)
        for manifest in dict.fromkeys(Path(e.path) for e in found.errors):
            report.problems.extend(broken_manifest_problems(manifest))
        plugins = list(found.plugins.values())
    else:
        plugin, problems = read_plugin(path, settings)
        report.problems.extend(str(p) for p in problems)
        if plugin is None:
            report.problems.extend(broken_manifest_problems(path / MANIFEST))
            return report
        other = found.plugins.get(plugin.name)
        if other is not None and other.root != plugin.root:
            report.problems.append(
                str(
                    ManifestError(
                        path / MANIFEST,
                        "name",
                        f"duplicate plugin name '{plugin.name}' (already defined in "
                        f"{other.manifest_path}, {other.origin}); rename one of them",
                    )
                )
            )
        clash = f"duplicate plugin name '{plugin.name}'"
        report.problems.extend(
            str(e) for e in found.errors if clash in e.problem and Path(e.path) != path / MANIFEST
        )
        plugins = [plugin]
    for plugin in plugins:
        check_one(plugin, report)
    return report
