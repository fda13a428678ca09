"""The engine: the one public API that the CLI, the web chat and the bot API all call."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage

from frontdesk.admission import Admission
from frontdesk.client_limits import TokenCounter, estimate_tokens, limit_answer
from frontdesk.embeddings import Embedder
from frontdesk.errors import (
    BackendError,
    Cancelled,
    FrontdeskError,
    InputError,
    NotFoundError,
    TooLargeError,
)
from frontdesk.feedback import FeedbackLog, new_answer_id
from frontdesk.generation import Generation, answer_finish
from frontdesk.history import AnswerLog
from frontdesk.jobs import IngestJobs
from frontdesk.learning import RoutingLearner
from frontdesk.memory import Memory
from frontdesk.models import load_chat_model
from frontdesk.pg_feedback import PgFeedbackLog
from frontdesk.pg_history import AnyAnswerLog, PgAnswerLog
from frontdesk.plugin_settings import model_options
from frontdesk.plugins import Plugin, PluginSet, discover
from frontdesk.replica_sync import ReplicaSync
from frontdesk.results import COORDINATOR_ROLES, Answer, Event, summarize_usage
from frontdesk.router import Route, Router
from frontdesk.settings import Settings
from frontdesk.shared_state import SharedState, open_state
from frontdesk.shared_uploads import publish_upload, restore_uploads
from frontdesk.store import Hit, IngestReport, KnowledgeStore, Progress
from frontdesk.uploads import Saved, save_upload

THREAD_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
LOCAL_OWNER = "local"  # the CLI and a keyless server: one user
CONTEXT_MARGIN = 16  # tokens kept free for chat-template markup the counters do not see


class _CancelOnToken(BaseCallbackHandler):
    """Stops generation at the next token once `event` is set (a client went away)."""

    raise_error = True

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        if self.event.is_set():
            raise Cancelled("the client went away")


def _unstreamed(answer: str, streamed: str) -> str:
    """The end of the answer that its streamed tokens did not show (so streams add up)."""
    streamed = streamed.strip()
    return answer[len(streamed) :] if answer.startswith(streamed) else ""


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
        if self._embedder is None and self.settings.test_embedder == "hash":
            from frontdesk.testing import HashEmbedder  # test only (see Settings.test_embedder)

            self._embedder = HashEmbedder()
        if self._embedder is None:
            from frontdesk.embeddings import MiniLMEmbedder

            self._embedder = MiniLMEmbedder(cache_dir=self.settings.home / "cache")
        return self._embedder

    @cached_property
    def store(self) -> KnowledgeStore:
        return KnowledgeStore(self.settings, self.embedder)

    @cached_property
    def router(self) -> Router:
        from frontdesk.routing_fit import engine_router

        # Fitted from the plugins' own material when no calibration fits them (routing_fit.py).
        return engine_router(self)

    def refit_routing(self, extra_labels: Sequence[tuple[str, str | None]] = ()) -> dict[str, Any]:
        """Refit routing with labels (question, right plugin or None), with safeguards: kept
        only if held-out labels and the plugins' examples route no worse (routing_fit.refit)."""
        from frontdesk.routing_fit import refit_engine

        return refit_engine(self, extra_labels)  # computed without the lock; swapped in under it

    @cached_property
    def admission(self) -> Admission:
        """The one gate every answering front end (API, web chat) passes through."""
        s = self.settings
        return Admission(s.max_concurrency, s.max_queue, s.queue_timeout)

    @cached_property
    def pool(self) -> Any:
        """The Postgres pool of every shared table (None without FRONTDESK_MEMORY_URL)."""
        if not self.settings.memory_url:
            return None
        from frontdesk.pgpool import open_pool

        return open_pool(self.settings.memory_url, self.settings.max_concurrency + 4)

    def close(self) -> None:
        """Close the Postgres pool, if one was opened (memory, log and shared state use it)."""
        if self.__dict__.get("pool") is not None:
            self.pool.close()

    @cached_property
    def state(self) -> SharedState:
        """Calibration, routing model, change signal, uploads: shared when Postgres is set."""
        return open_state(self.settings.home, self.pool)

    @cached_property
    def sync(self) -> ReplicaSync:
        s = self.settings
        return ReplicaSync(self.state, self.reload_plugins, s.home, self.pool, s.sync_seconds)

    @cached_property
    def log(self) -> AnyAnswerLog:
        if self.pool is not None:
            return PgAnswerLog(self.pool)
        return AnswerLog(self.settings.home / "history.sqlite")

    @cached_property
    def memory(self) -> Memory:
        return Memory(self.settings, self.log, self.pool)

    @property
    def checkpointer(self) -> Any:
        return self.memory.saver

    @cached_property
    def graph(self) -> Any:
        """The graph on the checkpointer: reads threads and stores finished turns."""
        from frontdesk.graph import build_graph

        return build_graph(self, self.checkpointer)

    @cached_property
    def runner(self) -> Any:
        """The same graph without a checkpointer: a turn runs here and reaches memory only
        once it has succeeded (see memory.py). It runs over the plugin set of its time
        (reload.TurnRuntime): a reload never changes the plugins of a turn in flight."""
        from frontdesk.graph import build_graph
        from frontdesk.reload import TurnRuntime

        runtime = TurnRuntime(self)
        graph = build_graph(runtime)
        graph.frontdesk_runtime = runtime
        return graph

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

    @property
    def off_topic(self) -> str:
        return self.settings.off_topic.lower()

    @property
    def followup_rerank(self) -> str:
        return self.settings.followup_rerank

    @property
    def context_budget(self) -> int:
        """Prompt tokens a model may be given: its window minus the answer's tokens."""
        return self.settings.context_window - self.settings.max_answer_tokens - CONTEXT_MARGIN

    def chat_model(
        self, spec: str, max_tokens: int | None = None, plugin: Plugin | None = None
    ) -> BaseChatModel:
        """The model for a spec, with `plugin`'s own settings (plugin_settings.py); `max_tokens`
        (a request's limit) never exceeds the plugin's limit or the setting."""
        options = model_options(self.settings, plugin, max_tokens)
        try:
            return load_chat_model(spec, options)
        except (ValueError, FileNotFoundError) as exc:
            raise BackendError(f"model {spec}: {exc}") from exc

    def _token_counter(self) -> TokenCounter:
        """Tokens of an answer for a client's `max_tokens`: the coordinator's own tokenizer
        when it has one (the bundled model), else the conservative estimate."""
        try:
            counter = getattr(
                self.chat_model(self.settings.coordinator_model), "count_tokens", None
            )
        except BackendError:
            counter = None
        return counter if callable(counter) else estimate_tokens

    def reload_plugins(self, ingest: bool = False) -> dict[str, Any]:
        """Discover plugins again (after adding a folder or fixing a manifest); see reload.py."""
        from frontdesk.reload import reload_plugins

        return reload_plugins(self, ingest=ingest)

    # --- knowledge -----------------------------------------------------------------------

    def ingest(
        self,
        names: list[str] | None = None,
        progress: Progress | None = None,
        skip_bad: bool = False,
    ) -> list[IngestReport]:
        targets = [self.plugin_set.get(n) for n in names] if names else list(self.plugins.values())
        from frontdesk import routing_summaries

        reports = []
        for p in targets:
            with self.sync.ingest_lock(p.name):  # one ingest of a plugin across replicas
                restore_uploads(self.state, p)  # documents uploaded through other replicas
                reports.append(self.store.ingest(p, progress, skip_bad))
                routing_summaries.refresh(self.store, p.name)  # the router's knowledge summary
        self.__dict__.pop("router", None)  # knowledge changed: scores may too
        if reports:
            self.sync.announce("ingest " + ",".join(r.plugin for r in reports))
        return reports

    def search(self, query: str, plugin: str, k: int = 4, document: str | None = None) -> list[Hit]:
        """The k best chunks of one plugin (of one of its documents, given `document`)."""
        self.check_question(query)
        self.plugin_set.get(plugin)
        if not 1 <= k <= 100:
            raise InputError(f"--k must be between 1 and 100, not {k}")
        self.store.refresh()
        if document is not None:
            self.check_document(plugin, document)
        return self.store.search(plugin, query, k, document=document)

    def check_document(self, plugin: str | None, document: str) -> None:
        """InputError without a plugin; NotFoundError when the plugin has no such document."""
        if not plugin:
            raise InputError(f"asking about document '{document}' needs its plugin too")
        if self.store.document_path(plugin, document) is None:
            raise NotFoundError(
                f"plugin '{plugin}' has no document '{document}' (names as citations give "
                f"them; frontdesk search --plugin {plugin} shows some)"
            )

    def plugin_info(self) -> list[dict[str, Any]]:
        """Every plugin with its model, knowledge and store figures; broken ones with errors."""
        out: list[dict[str, Any]] = []
        self.store.refresh()
        for p in self.plugins.values():
            info: dict[str, Any] = {
                "name": p.name,
                "description": p.description,
                "model": p.model,
                "origin": p.origin,
                "root": str(p.root),
                "examples": len(p.examples),
                "tools": list(p.tools.names),
                "error": None,
            }
            try:
                info["files"] = len(p.knowledge_files())
            except InputError as exc:
                info["files"], info["error"] = 0, str(exc)
            info.update(self.store.stats(p.name))
            health = self.store.status(p.name)
            info["store"], info["store_detail"] = health["state"], health["detail"]
            if health["state"] == "broken" and not info["error"]:
                info["error"] = health["detail"]
            out.append(info)
        for err in self.plugin_set.errors:
            out.append({"name": None, "manifest": err.path, "error": str(err)})
        return out

    def plugin_health(self) -> list[dict[str, Any]]:
        """Each plugin's knowledge store: [{name, ok, state (ok|empty|broken), detail}]."""
        self.store.refresh()
        return [self.store.status(name) for name in self.plugins]

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
        question = self.check_question(question)
        if self.store.refresh():  # another process ingested: its knowledge summaries changed
            self.__dict__.pop("router", None)
        return self.router.route(question)

    def stream(
        self,
        question: str,
        thread_id: str | None = None,
        plugin: str | None = None,
        history: list[tuple[str, str]] | None = None,
        cancel: threading.Event | None = None,
        owner: str = LOCAL_OWNER,
        generation: Generation | None = None,
        document: str | None = None,
        answer_id: str | None = None,
    ) -> Iterator[Event]:
        """Answer a question, yielding route, token, escalate and answer events.

        `history` — (role, text) pairs with role "user" or "assistant" — is for stateless
        clients that send the whole conversation; with a `thread_id` the server's memory of
        that thread is used instead. Setting `cancel` stops generation at the next token
        (raises Cancelled; nothing is stored). `generation` carries a client's token limit,
        stop sequences and instructions to the answering models. A thread belongs to the
        `owner` that started it; another owner gets NotFoundError, as if it did not exist.
        `document` (with `plugin`) restricts retrieval to that one document. The final event
        carries `answer_id` (given, or made here), the id feedback on the answer refers to.
        """
        question = self.check_question(question)
        runner = self.runner  # this turn's plugins and router, whatever a reload does meanwhile
        if plugin:
            runner.frontdesk_runtime.plugin_set.get(plugin)
        if thread_id is not None:
            self.check_thread(thread_id, owner)
        started = time.perf_counter()
        if self.store.refresh():  # another process ingested since the last question
            self.__dict__.pop("router", None)  # the router's knowledge summaries with it
        if document is not None:
            self.check_document(plugin, document)
        config: dict[str, Any] = {}
        if cancel is not None:
            config["callbacks"] = [_CancelOnToken(cancel)]
        if generation is not None:
            config.setdefault("configurable", {}).update(generation.config())
        state_in: dict[str, Any] = {
            "question": question,
            "forced_plugin": plugin,
            "document": document,
            "consults": None,
            "usage": None,
            "citations": [],
            "answer": "",
        }
        prior: list[BaseMessage] = []
        if thread_id:
            prior = state_in["messages"] = self.memory.messages(self.graph, thread_id)
        elif history:
            state_in["messages"] = [
                HumanMessage(text) if role == "user" else AIMessage(text) for role, text in history
            ]
        mode, shown_text = None, ""
        values: dict[str, Any] = {}
        try:
            for kind, chunk in runner.stream(
                state_in, config, stream_mode=["messages", "updates", "values"]
            ):
                if kind == "values":
                    values = chunk
                    continue
                if kind == "updates":
                    for node, update in chunk.items():
                        if node == "route" and update:
                            mode = update["route"]["mode"]
                            yield Event("route", update["route"])
                        elif node == "synthesize" and update and update.get("mode") == "escalated":
                            mode, shown_text = "escalated", ""
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
                shown_text += str(message.content) if shown else ""
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
        if "route" not in values:
            raise BackendError("the graph finished without an answer")
        answer_id = answer_id or new_answer_id()
        if thread_id:
            # Claimed only now: a turn that fails leaves no thread behind. Two owners racing
            # for one new id: the second is refused here, before anything is stored.
            if not self.log.claim(thread_id, owner, question):
                raise NotFoundError(f"no thread '{thread_id}'")
            turn = values["messages"][len(prior) :]
            for message in turn:  # a reopened thread's answers keep their ids (for feedback)
                if isinstance(message, AIMessage) and "frontdesk" in message.additional_kwargs:
                    message.additional_kwargs["frontdesk"]["answer_id"] = answer_id
            self.memory.append(self.graph, thread_id, turn)
        usage = summarize_usage(values.get("usage") or [])
        route = dict(values["route"])
        route["mode"], route["reason"] = values.get("mode", route["mode"]), values.get("reason", "")
        text, cut = values.get("answer", ""), False
        if generation is not None and text.strip() != shown_text.strip():
            # Not the streamed model text, which the limits already bound (see client_limits).
            text, cut = limit_answer(text, generation, self._token_counter())
        answer = Answer(
            answer=text,
            route=route,
            citations=values.get("citations") or [],
            usage=usage,
            thread_id=thread_id,
            reached_coordinator=any(set(u["roles"]) & COORDINATOR_ROLES for u in usage),
            seconds=time.perf_counter() - started,
            consults=values.get("consults") or [],
            finish_reason="length"
            if cut
            else answer_finish(values.get("usage") or [], route["mode"]),
        )
        result = answer.as_dict()
        result["answer_id"] = answer_id
        self.log.record(thread_id, question, result)
        self.feedback.remember(answer_id, owner, thread_id, question, route)
        served = ("thread_id", "reached_coordinator", "seconds", "usage")
        self.served.append({**{k: result[k] for k in served}, "mode": route["mode"]})
        if shown_text.strip() and not answer.answer.startswith(shown_text.strip()):
            # The graph's answer is not what was streamed (a repaired claim, a merge that
            # dropped a part): front ends show this text instead of what they streamed.
            yield Event("replace", {"text": answer.answer})
        elif rest := _unstreamed(answer.answer, shown_text):
            # e.g. a part passed through unmerged, or the note on a failed specialist
            yield Event("token", {"text": rest, "role": "answer", "plugin": None, "answer": True})
        yield Event("answer", result)

    def ask(
        self,
        question: str,
        thread_id: str | None = None,
        plugin: str | None = None,
        document: str | None = None,
    ) -> Answer:
        """Answer a question (the non-streaming form of `stream`)."""
        for event in self.stream(question, thread_id, plugin, document=document):
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

    def readiness(self) -> dict[str, Any]:
        """The /readyz body: overall `status` (ready, degraded, unavailable) and one check per
        plugin, model host, store and memory (see readiness.py). Nothing is generated."""
        from frontdesk.readiness import readiness

        return readiness(self, self.settings.probe_timeout)

    # --- memory --------------------------------------------------------------------------

    @staticmethod
    def _check_thread_id(thread_id: str) -> None:
        if not THREAD_ID.match(thread_id or ""):
            raise InputError(
                "thread id must be 1-128 characters of letters, digits and _.:@- "
                f"(got {thread_id[:40]!r})"
            )

    def check_thread(self, thread_id: str, owner: str = LOCAL_OWNER) -> None:
        """InputError for a malformed id; NotFoundError for a thread another owner started."""
        self._check_thread_id(thread_id)
        if self.log.owner(thread_id) not in (None, owner):
            raise NotFoundError(f"no thread '{thread_id}'")

    def history(self, thread_id: str, owner: str = LOCAL_OWNER) -> list[BaseMessage]:
        """The messages of one thread, oldest first; NotFoundError if another owner has it."""
        self.check_thread(thread_id, owner)
        return self.memory.messages(self.graph, thread_id)

    def delete_thread(self, thread_id: str, owner: str = LOCAL_OWNER) -> bool:
        """Forget one of the owner's threads: its checkpoints and its log rows. False if it did
        not exist; NotFoundError if another owner has it."""
        self.check_thread(thread_id, owner)
        self.feedback.forget_thread(thread_id)
        kept = [a for a in self.served if a["thread_id"] != thread_id]  # its log rows go too
        self.served.clear()
        self.served.extend(kept)
        return self.memory.delete(thread_id)

    def threads(
        self, limit: int = 100, owner: str = LOCAL_OWNER, query: str | None = None
    ) -> list[dict[str, Any]]:
        """The owner's threads, most recently used first; with `query`, only those whose
        title has every one of its words."""
        return self.log.threads(owner, limit, query)

    def stats(self, since_start: bool = True) -> dict[str, Any]:
        """Answer figures of this server (this engine, since it started), or over the whole
        stored history (every process that shares the home, the CLI included)."""
        from frontdesk.stats import summarize

        return summarize(list(self.served) if since_start else self.log.answers(0.0))

    @cached_property
    def served(self) -> deque[dict[str, Any]]:
        """The answers this engine gave (for "this server" stats; the log holds everyone's)."""
        return deque(maxlen=100_000)

    def add_document(self, plugin: str, filename: str, data: bytes, replace: bool = False) -> Saved:
        """Save an uploaded document into the plugin's knowledge folder (see uploads.py)."""
        saved = save_upload(
            self.plugin_set.get(plugin), filename, data, self.settings.upload_max_bytes, replace
        )
        publish_upload(self.state, plugin, saved.path.name, data)
        return saved

    @cached_property
    def jobs(self) -> IngestJobs:
        """Background ingests (the web chat's uploads and re-ingests), one per plugin."""
        return IngestJobs(lambda name, progress: self.ingest([name], progress=progress)[0])

    # --- feedback and thread editing (see feedback.py, threads.py) -------------------------

    @cached_property
    def feedback(self) -> FeedbackLog | PgFeedbackLog:
        """Feedback on answers: in Postgres with FRONTDESK_MEMORY_URL (replicas share it)."""
        if self.pool is not None:
            return PgFeedbackLog(self.pool)
        return FeedbackLog(self.settings.home / "feedback.sqlite")

    def record_feedback(
        self,
        answer_id: str,
        *,
        owner: str,
        rating: str,
        reason: str | None = None,
        plugin: str | None = None,
    ) -> None:
        """Rate one of the owner's answers ("up"|"down"); `plugin` names the specialist that
        should have answered, or "none". KeyError for an unknown or another owner's answer."""
        self.feedback.record(
            answer_id,
            owner=owner,
            rating=rating,
            reason=reason,
            plugin=plugin,
            known_plugins=set(self.plugins),
        )
        if rating == "down" and plugin and self.settings.learn_from_feedback:
            self.learner.correction_added()  # a routing label (learning.py)

    @cached_property
    def learner(self) -> RoutingLearner:
        return RoutingLearner(self)

    def rename_thread(self, thread_id: str, title: str, owner: str = LOCAL_OWNER) -> None:
        """Give one of the owner's threads another title (NotFoundError for anyone else's)."""
        from frontdesk.threads import rename

        rename(self, thread_id, title, owner)

    def truncate_thread(self, thread_id: str, keep: int, owner: str = LOCAL_OWNER) -> int:
        """Forget a thread's messages from index `keep` on (regenerate, edit and resend);
        returns how many were removed."""
        from frontdesk.threads import truncate

        return truncate(self, thread_id, keep, owner)
