"""`frontdesk plugin new NAME --package`: a plugin as an installable Python package.

The package holds the plugin folder (manifest and knowledge) as package data and declares the
`frontdesk.plugins` entry point, so `pip install` is all a user does to add it; its test asks
one question through the installed entry point with frontdesk's scripted models.
"""

from __future__ import annotations

from pathlib import Path

from frontdesk.errors import InputError
from frontdesk.scaffold import new_plugin

PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "The {name} plugin for frontdesk."
requires-python = ">=3.11"
dependencies = ["frontdesk"]

# frontdesk finds the plugin through this entry point once the package is installed.
[project.entry-points."frontdesk.plugins"]
{name} = "{module}:plugin_dirs"

[tool.setuptools.packages.find]
where = ["src"]  # the plugin folder and its knowledge are found as data folders of the package

[tool.setuptools.package-data]
"*" = ["*.toml", "*.md", "*.txt", "*.html", "*.htm", "*.pdf"]
"""

INIT = '''"""The {name} plugin for frontdesk (found through the `frontdesk.plugins` entry point)."""

from pathlib import Path


def plugin_dirs() -> list[Path]:
    """The folders holding a plugin.toml: this package's one plugin."""
    return [Path(__file__).parent / "{folder}"]
'''

TEST = '''"""The installed plugin is found through its entry point, routes and answers (run it after
`pip install -e .`; frontdesk's scripted models and embedder make it fast and offline)."""

from pathlib import Path

from frontdesk.engine import Engine
from frontdesk.settings import Settings
from frontdesk.testing import HashEmbedder


def test_the_installed_plugin_routes_and_answers(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "home",
        bundled_plugins=False,
        plugins_path="",
        entry_point_plugins=True,
        default_model="fake:facts",  # answers with the first fact it is given
        coordinator_model="fake:echo",
        router_llm=False,
    )
    engine = Engine(settings, embedder=HashEmbedder())
    plugin = engine.plugins["{name}"]
    assert plugin.origin.startswith("entry point '{name}'")
    assert plugin.origin.endswith("of package '{dist}'")
    report = engine.ingest(["{name}"])[0]
    assert report.chunks_total > 0 and not report.errors
    question = plugin.examples[0]
    answer = engine.ask(question)
    assert answer.route["plugins"][0]["name"] == "{name}"
    assert answer.answer.strip()
'''

README = """# {dist}

The `{name}` plugin for frontdesk. Edit `src/{module}/{folder}/plugin.toml`
and put your documents in `src/{module}/{folder}/knowledge/`, then:

```bash
pip install -e .            # frontdesk finds it through the frontdesk.plugins entry point
frontdesk plugin check      # every problem at once, placeholders included
frontdesk ingest {name}
pytest                      # routes and answers one question
frontdesk reload            # a running `frontdesk serve` picks it up without a restart
```
"""


def new_package(name: str, where: Path) -> Path:
    """Create `where/frontdesk-NAME/`: pyproject, the plugin inside the package, a test."""
    dist, module = f"frontdesk-{name}", f"frontdesk_{name.replace('-', '_')}"
    root = where / dist
    if root.exists():
        raise InputError(f"{root} already exists; choose another name or remove it")
    package = root / "src" / module
    package.mkdir(parents=True)
    folder = name.replace("-", "_")  # an importable name: setuptools ships it as package data
    new_plugin(name, package).rename(package / folder)  # validates the name first
    values = {"name": name, "dist": dist, "module": module, "folder": folder}
    (root / "pyproject.toml").write_text(PYPROJECT.format(**values), encoding="utf-8")
    (package / "__init__.py").write_text(INIT.format(**values), encoding="utf-8")
    (root / "tests").mkdir()
    test_file = root / "tests" / f"test_{module}.py"
    test_file.write_text(TEST.replace("{name}", name).replace("{dist}", dist), encoding="utf-8")
    (root / "README.md").write_text(README.format(**values), encoding="utf-8")
    return root
