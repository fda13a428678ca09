"""docs/plugins.md against the code: every manifest field it documents exists in the manifest
model and every field of the model is documented; every hook it lists exists in the hookspec
(and every hookspec is listed) — the hook check is skipped while no hookspec module exists."""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from frontdesk.plugins import Manifest

from .conftest import REPO

GUIDE = REPO / "docs" / "plugins.md"


def _section(title: str) -> str:
    """The text under the `## ...title...` heading, up to the next `## ` heading."""
    text = GUIDE.read_text()
    match = re.search(rf"^## [^\n]*{title}[^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/plugins.md has no '## {title}' section"
    return match.group(1)


def documented_fields() -> set[str]:
    """Dotted names in the first column of the Manifest table. In a cell such as
    `retrieval.top_k`, `chunk_size`, a bare name after a dotted one shares its prefix."""
    names: set[str] = set()
    for line in _section("Manifest").splitlines():
        if not line.startswith("| `"):
            continue
        prefix = ""
        for token in re.findall(r"`([^`]+)`", line.split("|")[1]):
            if "." in token:
                prefix = token.rsplit(".", 1)[0] + "."
                names.add(token)
            else:
                names.add(prefix + token)
    return names


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if inspect.isclass(candidate) and issubclass(candidate, BaseModel):
            return candidate
    return None


def model_fields(model: type[BaseModel] = Manifest, prefix: str = "") -> set[str]:
    """Every field of the manifest, sections included as `section.field`."""
    names: set[str] = set()
    for name, info in model.model_fields.items():
        sub = _model_of(info.annotation)
        if sub is not None and info.annotation is sub:  # a [section] of its own
            names |= model_fields(sub, f"{prefix}{name}.")
        else:
            names.add(prefix + name)
    return names


def test_every_documented_field_exists_and_every_field_is_documented() -> None:
    documented, actual = documented_fields(), model_fields()
    assert documented - actual == set(), "documented but not in plugins.Manifest"
    assert actual - documented == set(), "in plugins.Manifest but not in docs/plugins.md"


def documented_hooks() -> set[str]:
    """Hook names in the Hooks section: bullets `- \\`name(...)\\`` or table rows `| \\`name\\``."""
    section = _section("Hooks")
    return set(re.findall(r"^(?:- |\| )`(\w+)\(?", section, re.M))


def spec_hooks(module: Any) -> set[str]:
    """Functions (module-level or methods of its classes) marked by a pluggy HookspecMarker."""
    found: set[str] = set()
    owners = [module, *(c for _, c in inspect.getmembers(module, inspect.isclass))]
    for owner in owners:
        for name, func in inspect.getmembers(owner, callable):
            if (
                any(attr.endswith("_spec") for attr in vars(func))
                if hasattr(func, "__dict__")
                else False
            ):
                found.add(name)
    return found


def test_every_documented_hook_exists_in_the_hookspec() -> None:
    try:
        module = importlib.import_module("frontdesk.hookspecs")
    except ModuleNotFoundError:
        pytest.skip("no frontdesk.hookspecs module yet: no hooks to check")
    documented, specs = documented_hooks(), spec_hooks(module)
    assert specs, "frontdesk.hookspecs defines no hookspec"
    assert documented - specs == set(), "listed in docs/plugins.md but not a hookspec"
    assert specs - documented == set(), "a hookspec missing from docs/plugins.md (## Hooks)"


def test_the_checks_see_what_they_claim_to(tmp_path: Any) -> None:
    """The parsers find real names (so an empty parse cannot pass the checks above)."""
    assert {"name", "retrieval.top_k", "retrieval.chunk_size", "knowledge.paths"} <= (
        documented_fields()
    )
    assert {"retrieval.keyword_weight", "api_key_env"} <= model_fields()
    fake = tmp_path / "fake_specs.py"
    fake.write_text(
        "import pluggy\nhookspec = pluggy.HookspecMarker('frontdesk')\n\n"
        "@hookspec\ndef register_things(register):\n    ''''''\n\n"
        "def helper():\n    pass\n"
    )
    spec = importlib.util.spec_from_file_location("fake_specs", fake)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert spec_hooks(module) == {"register_things"}
