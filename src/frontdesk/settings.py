"""Every setting in one typed object, read once from `FRONTDESK_*` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """frontdesk's configuration. Each field is read from `FRONTDESK_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", extra="ignore")

    home: Path = Field(
        default_factory=lambda: Path.cwd() / ".frontdesk",
        description="Where stores, memory and calibration live (default: ./.frontdesk).",
    )
    plugins_path: str = Field(
        default="",
        description="Extra folders holding plugin folders, separated by os.pathsep.",
    )
    bundled_plugins: bool = Field(
        default=True, description="Load the example plugins from the repository's plugins/."
    )
    entry_point_plugins: bool = Field(
        default=True, description="Load plugins from the `frontdesk.plugins` entry point group."
    )
    coordinator_model: str = Field(
        default="llamacpp:smollm2", description="Model spec of the coordinator LLM."
    )
    default_model: str = Field(
        default="llamacpp:smollm2", description="Model spec for plugins that name none."
    )
    chroma_url: str = Field(
        default="",
        description="Use a Chroma server (http://host:port) instead of the local store.",
    )
    memory_url: str = Field(
        default="",
        description="Postgres URL for conversation memory; SQLite under home when empty.",
    )
    sync_seconds: float = Field(
        default=2.0,
        gt=0,
        description="How often a server checks whether another replica changed the plugins.",
    )
    thread_retention_days: float = Field(
        default=0,
        ge=0,
        description="Delete threads untouched for this many days (0: keep forever).",
    )
    max_question_chars: int = Field(default=4000, ge=1)
    max_answer_tokens: int = Field(default=256, ge=1)
    context_window: int = Field(default=2048, ge=512)
    retrieval: Literal["hybrid", "rrf", "embedding"] = Field(
        default="hybrid",
        description="hybrid: cosine and BM25 keyword scores weighed (keyword_weight); rrf: the "
        "two rankings fused by reciprocal rank; embedding: embeddings only.",
    )
    keyword_weight: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Share of the BM25 score in hybrid retrieval."
    )
    followup_rerank: Literal["off", "lm"] = Field(
        default="off",
        description="lm: re-rank a follow-up's best 5 sentences by how likely the llamacpp: "
        "specialist's model finds the question after each (8 model scores, seconds more per "
        "follow-up; lm_rerank.py). Other backends keep the selector's order.",
    )
    history_turns: int = Field(default=3, ge=0, description="Earlier turns shown to models.")
    model_timeout: float = Field(default=120.0, gt=0, description="Seconds per remote model call.")
    pool_cooldown: float = Field(
        default=2.0, gt=0, description="Seconds a failed pool host rests (doubled per failure)."
    )
    pool_cooldown_max: float = Field(
        default=60.0, gt=0, description="Longest rest of a failed pool host, in seconds."
    )
    probe_timeout: float = Field(
        default=3.0, gt=0, description="Seconds /readyz waits for its checks (run at once)."
    )
    router_llm: bool = Field(
        default=True, description="Ask the coordinator LLM when routing scores are ambiguous."
    )
    escalate: bool = Field(
        default=True, description="Send ungrounded specialist answers to the coordinator."
    )
    learn_from_feedback: bool = Field(
        default=True,
        description="Refit routing from users' corrections (a down-vote naming the plugin that "
        "should have answered); kept only when held-out corrections route no worse.",
    )
    off_topic: str = Field(
        default="answer",
        pattern=r"(?i)^(answer|decline)$",
        description="Questions no plugin fits: 'answer' with the general model (labelled, no "
        "sources) or 'decline' them without a model call.",
    )
    api_keys: str = Field(
        default="", description="Comma-separated bearer keys for the API; empty: no auth."
    )
    session_hours: float = Field(
        default=12.0, gt=0, description="How long a web sign-in lasts (with FRONTDESK_API_KEYS)."
    )
    allowed_hosts: str = Field(
        default="",
        description="Host names the server answers to, comma-separated ('*': any). Empty: "
        "loopback names only without API keys, any with keys.",
    )
    plugin_poll_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How often `frontdesk serve` looks for added, changed or removed plugin "
        "folders and reloads them (0: never; `frontdesk reload` still does).",
    )
    warmup: bool = Field(
        default=True,
        description="`frontdesk serve` embeds the knowledge sentences in the background at "
        "start-up and after an ingest, so the first answers need not (warmup.py).",
    )
    max_concurrency: int = Field(default=2, ge=1, description="Answers generated at once.")
    max_queue: int = Field(default=8, ge=0, description="Requests waiting beyond those.")
    queue_timeout: float = Field(default=60.0, gt=0, description="Seconds a request may wait.")
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    upload_max_bytes: int = Field(default=10_000_000, ge=1024)
    max_chunks_per_file: int = Field(
        default=2000, ge=1, description="A knowledge file split into more chunks is refused."
    )
    ingest_batch: int = Field(default=1000, ge=1, description="Chunks per store write.")
    store_probe: bool = Field(
        default=True,
        description="Read a local store's existing indexes in a subprocess before using them, "
        "so a corrupt index file marks its plugin broken instead of crashing the process.",
    )
    # Test only: these exist for the crash and subprocess tests and are never set in use.
    test_embedder: str = Field(
        default="", description="Test only: 'hash' embeds with frontdesk.testing.HashEmbedder."
    )
    test_pause_at: str = Field(
        default="",
        description="Test only: an ingest stops at this point (start, batch, commit, delete) "
        "and waits there, so a test can kill it.",
    )
    trace_hooks: bool = Field(
        default=False,
        description="Log every plugin hook call: which plugins' hooks ran and how long it took.",
    )
    log_level: str = Field(
        default="INFO",
        pattern=r"(?i)^(debug|info|warning|error|critical)$",
        description="Log level of `frontdesk serve` (DEBUG, INFO, WARNING, ERROR).",
    )

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    @property
    def allowed_host_set(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip())

    @field_validator("home", mode="before")
    @classmethod
    def _expand_home(cls, value: object) -> object:
        if isinstance(value, str):
            return Path(os.path.expanduser(value))
        return value

    @property
    def extra_plugin_dirs(self) -> list[Path]:
        return [Path(p).expanduser() for p in self.plugins_path.split(os.pathsep) if p.strip()]

    @property
    def bundled_plugin_dir(self) -> Path:
        return REPO_ROOT / "plugins"


def describe_error(exc: ValidationError) -> str:
    """One line for a refused FRONTDESK_* setting: which variable, what it held, what is wrong."""
    said = []
    for err in exc.errors():
        name = "FRONTDESK_" + "_".join(str(part) for part in err["loc"]).upper()
        said.append(f"{name}={err.get('input')!r}: {err['msg']}")
    return "; ".join(said) + " (fix the environment variable or unset it)"
