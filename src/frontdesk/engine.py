"""The engine: the one public API that the CLI, the web chat and the bot API all call."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage

from frontdesk.admission import Admission
from frontdesk.embeddings import Embedder
from frontdesk.errors import BackendError, Cancelled, FrontdeskError, InputError, TooLargeError
from frontdesk.generation import Generation, answer_finish
from frontdesk.history import AnswerLog
from frontdesk.models import ModelOptions, load_chat_model
from frontdesk.plugins import Plugin, PluginSet, discover
from frontdesk.results import COORDINATOR_ROLES, Answer, Event, summarize_usage
from frontdesk.router import Route, Router, Thresholds
from frontdesk.settings import Settings
from frontdesk.store import Hit, IngestReport, KnowledgeStore, Progress

THREAD_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


class _CancelOnToken(BaseCallbackHandler):
    """Stops generation at the next token once `event` is set (a client went away)."""

    raise_error = True

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        if self.event.is_set():
            raise Cancelled("the client went away")


class Engine:
    """Plugins, their stores, the router and the coordinator graph, behind one API."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings()
        self._embedder = embedder
        self._lock = threading.RLock()
        self.started = time.time()
        self.plugin_set: PluginSet = discover(self.settings)

    # --- components (built on first use) -------------------------------------------------

    @property
    def plugins(self) -> dict[str, Plugin]:
        return self.plugin_set.plugins

    @cached_property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from frontdesk.embeddings import MiniLMEmbedder

            self._embedder = MiniLMEmbedder(cache_dir=self.settings.home / "cache")
        return self._embedder

    @cached_property
    def store(self) -> KnowledgeStore:
        return KnowledgeStore(self.settings, self.embedder)

    @cached_property
    def router(self) -> Router:
        from frontdesk.calibration import load_calibration

        calib = load_calibration(self.settings.home)
        return Router(
            list(self.plugins.values()),
            self.embedder,
            knowledge=self.store.best_score,
            thresholds=calib.plugins if calib else {},
            default=calib.default if calib else Thresholds(),
            model=calib.model if calib else None,
        )

    @cached_property
    def admission(self) -> Admission:
        """The one gate every answering front end (API, web chat) passes through."""
        s = self.settings
        return Admission(s.max_concurrency, s.max_queue, s.queue_timeout)

    @cached_property
    def log(self) -> AnswerLog:
        return AnswerLog(self.settings.home / "history.sqlite")

    @cached_property
    def graph(self) -> Any:
        from frontdesk.graph import build_graph

        return build_graph(self, self._checkpointer())

    def _checkpointer(self) -> Any:
        if self.settings.memory_url:
            try:
                from langgraph.checkpoint.postgres import PostgresSaver
                from psycopg import Connection
                from psycopg.rows import dict_row
            except ImportError as exc:
                raise BackendError(
                    "FRONTDESK_MEMORY_URL needs the postgres extra: pip install -e '.[postgres]'"
                ) from exc
            try:
                conn = Connection.connect(
                    self.settings.memory_url,
                    autocommit=True,
                    prepare_threshold=0,
                    row_factory=dict_row,
                )
            except Exception as exc:
                raise BackendError(f"cannot reach the memory database: {exc}") from exc
            saver = PostgresSaver(conn)  # type: ignore[arg-type]
            saver.setup()
            return saver
        from langgraph.checkpoint.sqlite import SqliteSaver

        self.settings.home.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.settings.home / "memory.sqlite"), check_same_thread=False)
        return SqliteSaver(conn)

    # The graph's Runtime protocol.
    @property
    def coordinator_spec(self) -> str:
        return self.settings.coordinator_model

    @property
    def history_turns(self) -> int:
        return self.settings.history_turns

    @property
    def use_router_llm(self) -> bool:
        return self.settings.router_llm

    @property
    def escalate(self) -> bool:
        return self.settings.escalate

    def chat_model(self, spec: str, max_tokens: int | None = None) -> BaseChatModel:
        """The model for a spec; `max_tokens` (a request's limit) never exceeds the setting."""
        limit = self.settings.max_answer_tokens
        options = ModelOptions(
            max_tokens=min(max_tokens, limit) if max_tokens else limit,
            context_window=self.settings.context_window,
            timeout=self.settings.model_timeout,
        )
        try:
            return load_chat_model(spec, options)
        except (ValueError, FileNotFoundError) as exc:
            raise BackendError(f"model {spec}: {exc}") from exc

    def reload_plugins(self) -> None:
        """Discover plugins again (after adding a folder or fixing a manifest)."""
        with self._lock:
            self.plugin_set = discover(self.settings)
            for name in ("router", "graph"):
                self.__dict__.pop(name, None)

    # --- knowledge -----------------------------------------------------------------------

    def ingest(
        self,
        names: list[str] | None = None,
        progress: Progress | None = None,
        skip_bad: bool = False,
    ) -> list[IngestReport]:
        targets = [self.plugin_set.get(n) for n in names] if names else list(self.plugins.values())
        reports = [self.store.ingest(p, progress, skip_bad) for p in targets]
        self.__dict__.pop("router", None)  # knowledge changed: scores may too
        return reports

    def search(self, query: str, plugin: str, k: int = 4) -> list[Hit]:
        self.check_question(query)
        self.plugin_set.get(plugin)
        if not 1 <= k <= 100:
            raise InputError(f"--k must be between 1 and 100, not {k}")
        return self.store.search(plugin, query, k)

    def plugin_info(self) -> list[dict[str, Any]]:
        """Every plugin with its model, knowledge and store figures; broken ones with errors."""
        out: list[dict[str, Any]] = []
        for p in self.plugins.values():
            info: dict[str, Any] = {
                "name": p.name,
                "description": p.description,
                "model": p.model,
                "origin": p.origin,
                "root": str(p.root),
                "examples": len(p.examples),
                "error": None,
            }
            try:
                info["files"] = len(p.knowledge_files())
            except InputError as exc:
                info["files"], info["error"] = 0, str(exc)
            info.update(self.store.stats(p.name))
            out.append(info)
        for err in self.plugin_set.errors:
            out.append({"name": None, "manifest": err.path, "error": str(err)})
        return out

    # --- routing and answering -----------------------------------------------------------

    def check_question(self, question: str) -> str:
        """The question, stripped; raises InputError if empty, TooLargeError if too long."""
        question = (question or "").strip()
        if not question:
            raise InputError("the question is empty; type a question")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise TooLargeError(
                f"the question is {len(question)} characters long; the limit is {limit} "
                "(FRONTDESK_MAX_QUESTION_CHARS)"
            )
        return question

    def route(self, question: str) -> Route:
        """Route one question on the fast path only (no text generation)."""
        return self.router.route(self.check_question(question))

    def stream(
        self,
        question: str,
        thread_id: str | None = None,
        plugin: str | None = None,
        history: list[tuple[str, str]] | None = None,
        cancel: threading.Event | None = None,
        generation: Generation | None = None,
    ) -> Iterator[Event]:
        """Answer a question, yielding route, token, escalate and answer events.

        `history` — (role, text) pairs with role "user" or "assistant" — is for stateless
        clients that send the whole conversation; with a `thread_id` the server's memory of
        that thread is used instead. Setting `cancel` stops generation at the next token
        (raises Cancelled; nothing is stored). `generation` carries a client's token limit,
        stop sequences and instructions to the answering models.
        """
        question = self.check_question(question)
        if plugin:
            self.plugin_set.get(plugin)
        if thread_id is not None and not THREAD_ID.match(thread_id):
            raise InputError(
                "thread id must be 1-128 characters of letters, digits and _.:@- "
                f"(got {thread_id[:40]!r})"
            )
        started = time.perf_counter()
        config: dict[str, Any] = {
            "configurable": {"thread_id": thread_id or f"once-{uuid.uuid4().hex}"}
        }
        if cancel is not None:
            config["callbacks"] = [_CancelOnToken(cancel)]
        if generation is not None:
            config["configurable"].update(generation.config())
        state_in: dict[str, Any] = {
            "question": question,
            "forced_plugin": plugin,
            "consults": None,
            "usage": None,
            "citations": [],
            "answer": "",
        }
        if history and not thread_id:
            state_in["messages"] = [
                HumanMessage(text) if role == "user" else AIMessage(text) for role, text in history
            ]
        mode = None
        try:
            for kind, chunk in self.graph.stream(
                state_in, config, stream_mode=["messages", "updates"]
            ):
                if kind == "updates":
                    for node, update in chunk.items():
                        if node == "route" and update:
                            mode = update["route"]["mode"]
                            yield Event("route", update["route"])
                        elif node == "synthesize" and update and update.get("mode") == "escalated":
                            mode = "escalated"
                            yield Event("escalate", {"reason": update["reason"]})
                    continue
                message, meta = chunk
                role = meta.get("fd_role")
                if not isinstance(message, AIMessageChunk) or not message.content or not role:
                    continue
                if role == "router":
                    continue
                shown = (
                    (role == "specialist" and mode == "specialist")
                    or role == "merge"
                    or role == "coordinator"
                )
                yield Event(
                    "token",
                    {
                        "text": message.content,
                        "role": role,
                        "plugin": meta.get("fd_plugin") or None,
                        "answer": shown,
                    },
                )
        except FrontdeskError:
            raise
        except Exception as exc:
            if cancel is not None and cancel.is_set():
                raise Cancelled("the client went away") from exc
            raise BackendError(f"answering failed: {type(exc).__name__}: {exc}") from exc
        values = self.graph.get_state(
            {"configurable": {"thread_id": config["configurable"]["thread_id"]}}
        ).values
        usage = summarize_usage(values.get("usage") or [])
        route = dict(values["route"])
        route["mode"], route["reason"] = values.get("mode", route["mode"]), values.get("reason", "")
        answer = Answer(
            answer=values.get("answer", ""),
            route=route,
            citations=values.get("citations") or [],
            usage=usage,
            thread_id=thread_id,
            reached_coordinator=any(set(u["roles"]) & COORDINATOR_ROLES for u in usage),
            seconds=time.perf_counter() - started,
            consults=values.get("consults") or [],
            finish_reason=answer_finish(values.get("usage") or [], route["mode"]),
        )
        result = answer.as_dict()
        self.log.record(thread_id, question, result)
        yield Event("answer", result)

    def ask(self, question: str, thread_id: str | None = None, plugin: str | None = None) -> Answer:
        """Answer a question (the non-streaming form of `stream`)."""
        for event in self.stream(question, thread_id, plugin):
            if event.kind == "answer":
                data = event.data
                return Answer(
                    answer=data["answer"],
                    route=data["route"],
                    citations=data["citations"],
                    usage=data["usage"],
                    thread_id=data["thread_id"],
                    reached_coordinator=data["reached_coordinator"],
                    seconds=data["seconds"],
                    consults=data["consults"],
                )
        raise BackendError("the graph finished without an answer")

    def readiness(self) -> list[dict[str, Any]]:
        """Can the store and every model be reached? One check each; nothing is generated."""
        from frontdesk.models import probe

        checks: list[dict[str, Any]] = []
        try:
            self.store.client.heartbeat()
            checks.append({"name": "store", "ok": True, "detail": self.store.location})
        except Exception as exc:
            checks.append({"name": "store", "ok": False, "detail": str(exc)})
        specs = sorted({p.model for p in self.plugins.values()} | {self.coordinator_spec})
        for spec in specs:
            ok, detail = probe(spec)
            checks.append({"name": f"model {spec}", "ok": ok, "detail": detail})
        return checks

    # --- memory --------------------------------------------------------------------------

    def history(self, thread_id: str) -> list[BaseMessage]:
        """The messages of one thread, oldest first."""
        state = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        return list(state.values.get("messages", [])) if state and state.values else []

    def threads(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.log.threads(limit)

    def stats(self, since_start: bool = True) -> dict[str, Any]:
        """Answer figures since this engine started, or over the whole stored history."""
        from frontdesk.stats import summarize

        return summarize(self.log.answers(self.started if since_start else 0.0))

    def add_document(self, plugin: str, filename: str, data: bytes) -> str:
        """Save an uploaded document into the plugin's knowledge folder (see uploads.py)."""
        from frontdesk.uploads import save_upload

        return save_upload(
            self.plugin_set.get(plugin), filename, data, self.settings.upload_max_bytes
        )
