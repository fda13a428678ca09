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
    ValidationInfo,
    field_validator,
    model_validator,
)

from frontdesk.errors import InputError, ManifestError
from frontdesk.models import parse_spec
from frontdesk.settings import Settings

ENTRY_POINT_GROUP = "frontdesk.plugins"
MANIFEST = "plugin.toml"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,47}$")
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class KnowledgeSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paths: list[str] = Field(default_factory=list)


class RetrievalSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    top_k: int = Field(default=3, ge=1, le=50)
    chunk_size: int = Field(default=700, ge=100, le=8000)
    chunk_overlap: int = Field(default=100, ge=0, le=2000)
    keyword_weight: float | None = Field(default=None, ge=0.0, le=1.0)
    retriever: str | None = None  # registered by the register_retrievers hook

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap(cls, value: int, info: ValidationInfo) -> int:
        size = info.data.get("chunk_size")
        if size is not None and value >= size:
            raise ValueError(f"chunk_overlap ({value}) must be smaller than chunk_size ({size})")
        return value


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
    # Per-plugin overrides of the global settings (None: the FRONTDESK_* setting applies).
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, ge=1, le=32768)
    escalate: bool | None = None
    api_key_env: str | None = Field(default=None, pattern=ENV_NAME)
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
    temperature: float | None = None
    max_tokens: int | None = None
    escalate: bool | None = None
    api_key_env: str | None = None
    keyword_weight: float | None = None
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


def error_fields(err: ValidationError) -> list[tuple[str, str]]:
    """Every (field, problem) of a validation error, in the words of the plugin guide."""
    fields = []
    for each in err.errors():
        loc = ".".join(str(p) for p in each["loc"]) or "(file)"
        msg = each["msg"]
        if each["type"] == "extra_forbidden":
            msg = "unknown field; check the spelling against the plugin guide"
        elif each["type"] == "missing":
            msg = "missing; every plugin.toml needs it"
        fields.append((loc, msg.removeprefix("Value error, ")))
    return fields


def load_manifest(folder: Path, settings: Settings, origin: str = "path") -> Plugin:
    """Read and validate `folder/plugin.toml`; raises ManifestError naming file and field."""
    plugin, problems = read_plugin(folder, settings, origin)
    if plugin is None:
        raise problems[0]
    return plugin


def read_plugin(
    folder: Path, settings: Settings, origin: str = "path"
) -> tuple[Plugin | None, list[ManifestError]]:
    """The plugin of `folder/plugin.toml` (None if unusable) and every problem found in it."""
    path = folder / MANIFEST
    if not folder.is_dir():
        return None, [ManifestError(path, "(file)", "the plugin folder does not exist")]
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [ManifestError(path, "(file)", "no plugin.toml in this folder")]
    except UnicodeDecodeError:
        return None, [ManifestError(path, "(file)", "not UTF-8 text")]
    except tomllib.TOMLDecodeError as exc:
        return None, [ManifestError(path, "(file)", f"invalid TOML: {exc}")]
    problems: list[ManifestError] = []
    manifest: Manifest | None = None
    if isinstance(raw.get("hooks"), str):  # before validation: the hooks may add backends
        from frontdesk import hooks

        try:
            paths = (raw.get("knowledge") or {}).get("paths") or []
            hooks.load_folder_hooks(folder, raw["hooks"], [str(p) for p in paths])
        except ValueError as exc:
            problems.append(ManifestError(path, "hooks", str(exc)))
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        problems = [ManifestError(path, loc, msg) for loc, msg in error_fields(exc)]
    # The prompt is checked on the raw values too, so one pass reports every problem.
    system_prompt, prompt_file = raw.get("system_prompt"), raw.get("prompt_file")
    if system_prompt and prompt_file:
        problems.append(
            ManifestError(path, "prompt_file", "give system_prompt or prompt_file, not both")
        )
    prompt = ""
    if isinstance(prompt_file, str) and prompt_file:
        prompt_path = (folder / prompt_file).resolve()
        try:
            prompt = prompt_path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(ManifestError(path, "prompt_file", f"cannot read {prompt_path}: {exc}"))
    elif isinstance(system_prompt, str):
        prompt = system_prompt.strip()
    if problems or manifest is None:
        return None, problems
    if not prompt:
        prompt = f"You are a careful specialist. Your domain: {manifest.description}"

    try:
        _check_grants(path, manifest)
    except ManifestError as exc:
        return None, [exc]
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
        chunk_overlap=manifest.retrieval.chunk_overlap,
        root=folder.resolve(),
        origin=origin,
        temperature=manifest.temperature,
        max_tokens=manifest.max_tokens,
        escalate=manifest.escalate,
        api_key_env=manifest.api_key_env,
        keyword_weight=manifest.retrieval.keyword_weight,
        tools=manifest.tools,
        retriever=manifest.retrieval.retriever,
    ), []


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
        package = ep.dist.name if ep.dist is not None else "unknown package"
        where = f"entry point '{ep.name}' ({ep.value}) of package '{package}'"
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
        plugin, problems = read_plugin(folder, settings, origin)
        if plugin is None:
            if origin.startswith("entry point"):  # name the package that pointed here
                problems = [
                    ManifestError(e.path, e.field, f"{e.problem} ({origin})") for e in problems
                ]
            result.errors.extend(problems)
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
