"""Plugins: a folder with `plugin.toml` (and documents), found in three places.

1. the repository's `plugins/` (unless `FRONTDESK_BUNDLED_PLUGINS=false`),
2. every folder on `FRONTDESK_PLUGINS_PATH` (each holds plugin folders),
3. installed packages, through the entry point group `frontdesk.plugins`: the entry point
   names a folder (str/Path) or a callable returning one folder or a list of them,
4. the `register_plugins` hook (hooks.py), for packages that already implement hooks.

A manifest that cannot be used is reported (file + field) and skipped; the rest still run.
"""

from __future__ import annotations

import glob
import importlib.metadata
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from frontdesk.errors import InputError, ManifestError
from frontdesk.models import parse_spec
from frontdesk.settings import Settings

ENTRY_POINT_GROUP = "frontdesk.plugins"
MANIFEST = "plugin.toml"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,47}$")


class KnowledgeSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paths: list[str] = Field(default_factory=list)


class RetrievalSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    top_k: int = Field(default=3, ge=1, le=50)
    chunk_size: int = Field(default=700, ge=100, le=8000)
    chunk_overlap: int = Field(default=100, ge=0, le=2000)
    retriever: str | None = None  # registered by the register_retrievers hook


class McpServer(BaseModel):
    """`[tools.mcp.<server>]`: a stdio server (`command`, `args`; run in the plugin folder) or
    a streamable-HTTP one (`url`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    url: str | None = None

    @model_validator(mode="after")
    def _one(self) -> McpServer:
        if bool(self.command) == bool(self.url):
            raise ValueError("give `command` (a stdio server) or `url`, one of them")
        return self


class ToolsSection(BaseModel):
    """`[tools]`: the tools (registered by hook) this plugin's specialist may call."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    names: list[str] = Field(default_factory=list)
    allow_write: bool = False  # without it, a tool that writes is never granted
    max_steps: int = Field(default=4, ge=1, le=10)
    timeout: float = Field(default=10.0, gt=0, le=120)
    mcp: dict[str, McpServer] = Field(default_factory=dict)

    def servers(self) -> dict[str, dict[str, Any]]:
        return {name: s.model_dump(exclude_none=True) for name, s in self.mcp.items()}


class Manifest(BaseModel):
    """The schema of plugin.toml."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = Field(min_length=10)
    examples: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    model: str | None = None
    system_prompt: str | None = None
    prompt_file: str | None = None
    knowledge: KnowledgeSection = Field(default_factory=KnowledgeSection)
    retrieval: RetrievalSection = Field(default_factory=RetrievalSection)
    hooks: str | None = None  # a Python file of hook implementations, beside plugin.toml
    tools: ToolsSection = Field(default_factory=ToolsSection)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError(
                "must start with a lowercase letter and hold only a-z, 0-9, '-' or '_' "
                "(at most 48 characters)"
            )
        return value

    @field_validator("model")
    @classmethod
    def _model(cls, value: str | None) -> str | None:
        if value is not None:
            parse_spec(value)  # raises ValueError with the reason
        return value


@dataclass(frozen=True)
class Plugin:
    """A loaded, validated plugin."""

    name: str
    description: str
    examples: tuple[str, ...]
    topics: tuple[str, ...]
    model: str
    system_prompt: str
    knowledge_paths: tuple[str, ...]  # as resolved patterns (absolute)
    top_k: int
    chunk_size: int
    chunk_overlap: int
    root: Path
    origin: str
    tools: ToolsSection = field(default_factory=ToolsSection)
    retriever: str | None = None

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    @property
    def anchors(self) -> tuple[str, ...]:
        """What the router compares questions with: the examples, then the topics."""
        return self.examples + self.topics

    def knowledge_files(self) -> list[Path]:
        """Every file the knowledge paths name; raises InputError for a path that is missing."""
        from frontdesk.loaders import SUPPORTED_SUFFIXES

        files: set[Path] = set()
        for pattern in self.knowledge_paths:
            matches = [Path(m) for m in glob.glob(pattern, recursive=True)]
            if not matches:
                raise InputError(
                    f"plugin '{self.name}': knowledge path '{pattern}' "
                    f"({self.manifest_path}, field 'knowledge.paths') does not exist; "
                    "create it or fix the path"
                )
            for match in matches:
                if match.is_dir():
                    files.update(
                        p
                        for p in match.rglob("*")
                        if p.is_file()
                        and p.suffix.lower() in SUPPORTED_SUFFIXES
                        and not any(part.startswith(".") for part in p.relative_to(match).parts)
                    )
                elif match.is_file():
                    files.add(match)
        return sorted(p.resolve() for p in files)

    def knowledge_dirs(self) -> list[Path]:
        """The folders among the knowledge paths (where uploads may land)."""
        return [Path(p) for p in self.knowledge_paths if Path(p).is_dir()]


@dataclass
class PluginSet:
    plugins: dict[str, Plugin] = field(default_factory=dict)
    errors: list[ManifestError] = field(default_factory=list)

    def get(self, name: str) -> Plugin:
        from frontdesk.errors import NotFoundError

        if name not in self.plugins:
            known = ", ".join(sorted(self.plugins)) or "none"
            raise NotFoundError(f"unknown plugin '{name}' (known plugins: {known})")
        return self.plugins[name]


def _first_error_field(err: ValidationError) -> tuple[str, str]:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(file)"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown field; check the spelling against the plugin guide"
    elif first["type"] == "missing":
        msg = "missing; every plugin.toml needs it"
    return loc, msg.removeprefix("Value error, ")


def load_manifest(folder: Path, settings: Settings, origin: str = "path") -> Plugin:
    """Read and validate `folder/plugin.toml`; raises ManifestError naming file and field."""
    path = folder / MANIFEST
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(path, "(file)", "no plugin.toml in this folder") from None
    except UnicodeDecodeError:
        raise ManifestError(path, "(file)", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(path, "(file)", f"invalid TOML: {exc}") from None
    if isinstance(raw.get("hooks"), str):  # before validation: the hooks may add backends
        from frontdesk import hooks

        try:
            paths = (raw.get("knowledge") or {}).get("paths") or []
            hooks.load_folder_hooks(folder, raw["hooks"], [str(p) for p in paths])
        except ValueError as exc:
            raise ManifestError(path, "hooks", str(exc)) from None
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        loc, msg = _first_error_field(exc)
        raise ManifestError(path, loc, msg) from None

    if manifest.system_prompt and manifest.prompt_file:
        raise ManifestError(path, "prompt_file", "give system_prompt or prompt_file, not both")
    if manifest.prompt_file:
        prompt_path = (folder / manifest.prompt_file).resolve()
        try:
            prompt = prompt_path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(path, "prompt_file", f"cannot read {prompt_path}: {exc}") from None
    else:
        prompt = (manifest.system_prompt or "").strip()
    if not prompt:
        prompt = f"You are a careful specialist. Your domain: {manifest.description}"

    _check_grants(path, manifest)
    patterns = tuple(
        str(Path(p).expanduser() if Path(p).expanduser().is_absolute() else (folder / p).resolve())
        for p in manifest.knowledge.paths
    )
    return Plugin(
        name=manifest.name,
        description=manifest.description.strip(),
        examples=tuple(e.strip() for e in manifest.examples if e.strip()),
        topics=tuple(t.strip() for t in manifest.topics if t.strip()),
        model=manifest.model or settings.default_model,
        system_prompt=prompt,
        knowledge_paths=patterns,
        top_k=manifest.retrieval.top_k,
        chunk_size=manifest.retrieval.chunk_size,
        chunk_overlap=min(manifest.retrieval.chunk_overlap, manifest.retrieval.chunk_size // 2),
        root=folder.resolve(),
        origin=origin,
        tools=manifest.tools,
        retriever=manifest.retrieval.retriever,
    )


def _check_grants(path: Path, manifest: Manifest) -> None:
    """Every tool and retriever the manifest names exists, and no writing tool is granted
    without `tools.allow_write`."""
    from frontdesk import hooks
    from frontdesk.mcp_tools import server_tools
    from frontdesk.tools import TOOLS

    try:
        available = {**TOOLS, **server_tools(path.parent, manifest.tools.servers())}
    except ValueError as exc:
        raise ManifestError(path, "tools.mcp", str(exc)) from None
    for name in manifest.tools.names:
        found = available.get(name)
        if found is None:
            known = ", ".join(sorted(available)) or "none"
            raise ManifestError(
                path, "tools.names", f"no tool named '{name}' is registered (known: {known})"
            )
        if found.writes and not manifest.tools.allow_write:
            raise ManifestError(
                path,
                "tools.allow_write",
                f"tool '{name}' writes; grant it only with `allow_write = true` in [tools]",
            )
    retriever = manifest.retrieval.retriever
    if retriever and retriever not in hooks.RETRIEVERS:
        known = ", ".join(sorted(hooks.RETRIEVERS)) or "none"
        raise ManifestError(
            path,
            "retrieval.retriever",
            f"no retriever named '{retriever}' is registered (known: {known})",
        )


def _entry_point_dirs() -> Iterable[tuple[Path, str]]:
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point '{ep.name}' ({ep.value})"
        try:
            obj = ep.load()
            result = obj() if callable(obj) else obj
        except Exception as exc:  # a broken package must not take the others down
            yield Path(f"<{where}>"), f"error: {exc}"
            continue
        items = [result] if isinstance(result, str | Path) else list(result)
        for item in items:
            yield Path(item), where


def candidate_dirs(settings: Settings) -> list[tuple[Path, str]]:
    """Plugin folders in discovery order, with where each came from."""
    found: list[tuple[Path, str]] = []
    roots: list[tuple[Path, str]] = []
    if settings.bundled_plugins and settings.bundled_plugin_dir.is_dir():
        roots.append((settings.bundled_plugin_dir, "bundled"))
    roots.extend((d, "FRONTDESK_PLUGINS_PATH") for d in settings.extra_plugin_dirs)
    for root, origin in roots:
        if (root / MANIFEST).is_file():  # the path names a plugin folder itself
            found.append((root, origin))
            continue
        if root.is_dir():
            found.extend((d, origin) for d in sorted(root.iterdir()) if (d / MANIFEST).is_file())
    if settings.entry_point_plugins:
        found.extend(_entry_point_dirs())
    from frontdesk import hooks

    found.extend((d, "register_plugins hook") for d in hooks.PLUGIN_DIRS)
    return found


def discover(settings: Settings) -> PluginSet:
    """Load every plugin; broken manifests go to `errors`, the rest to `plugins`."""
    from frontdesk import hooks

    hooks.load(settings)
    result = PluginSet()
    result.errors.extend(ManifestError(f"<{w}>", "(hooks)", p) for w, p in hooks.errors)
    seen: dict[str, Path] = {}
    for folder, origin in candidate_dirs(settings):
        if origin.startswith("error:"):
            result.errors.append(ManifestError(folder, "(entry point)", origin[6:].strip()))
            continue
        try:
            plugin = load_manifest(folder, settings, origin)
        except ManifestError as exc:
            result.errors.append(exc)
            continue
        if plugin.name in seen:
            result.errors.append(
                ManifestError(
                    plugin.manifest_path,
                    "name",
                    f"duplicate plugin name '{plugin.name}' (already defined in "
                    f"{seen[plugin.name]}); rename one of them",
                )
            )
            continue
        seen[plugin.name] = plugin.manifest_path
        result.plugins[plugin.name] = plugin
    return result
