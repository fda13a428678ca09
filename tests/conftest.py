"""Shared fixtures. Everything runs offline: models come from site-packages."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from frontdesk.engine import Engine  # noqa: E402
from frontdesk.settings import Settings  # noqa: E402
from frontdesk.testing import FakeChatModel, HashEmbedder  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

MINI_PLUGINS = {
    "kitchen": (
        "Cooking steak, resting meat, rice and bread in the kitchen.",
        ["How long should I rest a steak?", "Can I freeze cooked rice?"],
        {
            "steak.md": "# Steak\n\nRest a thick steak for eight minutes before cutting it.\n\n"
            "Salt the steak forty minutes ahead so the surface dries.",
            "rice.txt": "Cooked rice keeps one day in the fridge. Freeze cooked rice within one hour.",
        },
    ),
    "garden": (
        "Gardening: pruning roses, watering tomatoes and making compost.",
        ["When should I prune my roses?", "How often should I water tomatoes?"],
        {
            "roses.md": "# Roses\n\nPrune bush roses in late winter when the buds swell.\n\n"
            "Cut each stem just above an outward facing bud.",
            "tomatoes.md": "Water tomatoes deeply three times a week in warm weather.",
        },
    ),
}


def write_plugin(
    root: Path,
    name: str,
    description: str,
    examples: list[str],
    docs: dict[str, str],
    model: str | None = None,
    extra: str = "",
) -> Path:
    folder = root / name
    (folder / "knowledge").mkdir(parents=True, exist_ok=True)
    examples_toml = ", ".join(f'"{e}"' for e in examples)
    (folder / "plugin.toml").write_text(
        f'name = "{name}"\ndescription = "{description}"\nexamples = [{examples_toml}]\n'
        + (f'model = "{model}"\n' if model else "")
        + f'system_prompt = "You are the {name} specialist."\n{extra}\n'
        '[knowledge]\npaths = ["knowledge"]\n'
    )
    for filename, text in docs.items():
        (folder / "knowledge" / filename).write_text(text)
    return folder


@pytest.fixture(autouse=True)
def _reset_fakes() -> None:
    FakeChatModel.reset()


@pytest.fixture
def plugin_root(tmp_path: Path) -> Path:
    root = tmp_path / "plugins"
    for name, (desc, examples, docs) in MINI_PLUGINS.items():
        write_plugin(root, name, desc, examples, docs)
    return root


@pytest.fixture
def make_settings(tmp_path: Path, plugin_root: Path) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "home": tmp_path / "home",
            "plugins_path": str(plugin_root),
            "bundled_plugins": False,
            "entry_point_plugins": False,
            "coordinator_model": "fake:echo",
            "default_model": "fake:facts",
            "router_llm": False,
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def engine(make_settings: Callable[..., Settings]) -> Engine:
    """An engine on fake models and bag-of-words embeddings, knowledge already ingested."""
    eng = Engine(make_settings(), embedder=HashEmbedder())
    eng.ingest()
    return eng


@pytest.fixture
def keyed(make_settings: Callable[..., Settings]) -> Iterator[Any]:
    """A server on scripted models that wants a key: KEY_A and KEY_B (security/attack.py)."""
    from .security.attack import KEY_A, KEY_B, fake_server

    with fake_server(make_settings, api_keys=f"{KEY_A},{KEY_B}") as srv:
        yield srv
