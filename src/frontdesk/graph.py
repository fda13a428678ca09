"""The coordinator graph (LangGraph `StateGraph`).

START -> route --Send per plugin--> consult[plugin] -> synthesize -> END
           |                                            |
           +-- no plugin fits --> coordinate <-- not grounded (escalate)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import merge_configs
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from frontdesk import (
    answering,
    degrade,
    desks,
    escalation,
    generation,
    graph_threads,
    hooks,
    lm_rerank,
    parts,
    prompts,
    specialist,
    tool_loop,
)
from frontdesk.context import fit_prompt
from frontdesk.embeddings import Embedder
from frontdesk.errors import BackendError, BackendTimeout, Cancelled
from frontdesk.evidence import Evidence
from frontdesk.followup import standalone
from frontdesk.grounding import content_words
from frontdesk.plugin_settings import escalates
from frontdesk.plugins import Plugin
from frontdesk.router import PluginScore, Route, Router, make_llm_chooser
from frontdesk.state import ConsultTask, TurnState
from frontdesk.store import Hit, KnowledgeStore
from frontdesk.verify import verify


class Runtime(Protocol):
    """What the graph needs from the engine."""

    @property
    def plugins(self) -> dict[str, Plugin]: ...
    @property
    def router(self) -> Router: ...
    @property
    def store(self) -> KnowledgeStore: ...
    @property
    def embedder(self) -> Embedder: ...
    @property
    def coordinator_spec(self) -> str: ...
    @property
    def history_turns(self) -> int: ...
    @property
    def use_router_llm(self) -> bool: ...
    @property
    def escalate(self) -> bool: ...
    @property
    def context_budget(self) -> int: ...
    @property
    def off_topic(self) -> str: ...
    @property
    def followup_rerank(self) -> str: ...

    def chat_model(
        self, spec: str, max_tokens: int | None = None, plugin: Plugin | None = None
    ) -> BaseChatModel: ...


def call_model(
    runtime: Runtime,
    spec: str,
    messages: list[BaseMessage],
    config: RunnableConfig | None,
    role: str,
    plugin: str | None = None,
    tools: Sequence[Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Invoke one model (tokens stream through LangGraph); return text and a usage record.
    Given `tools`, they are bound and the reply rides in the record as `message`."""
    gen = generation.from_config(config, role)
    own = runtime.plugins.get(plugin) if plugin else None  # its settings (plugin_settings.py)
    if gen is None:
        model, stop = runtime.chat_model(spec, plugin=own), None
    else:
        model, stop = runtime.chat_model(spec, gen.max_tokens, own), list(gen.stop) or None
        messages = generation.with_instructions(messages, gen.instructions)
    if tools:
        model = model.bind_tools(tools)  # type: ignore[assignment]
    tagged = merge_configs(config, {"metadata": {"fd_role": role, "fd_plugin": plugin or ""}})
    started = time.perf_counter()
    try:
        reply = model.invoke(messages, tagged, stop=stop)
    except (BackendError, Cancelled):
        raise
    except Exception as exc:  # connection refused, bad URL, HTTP errors, timeouts...
        kind = type(exc).__name__
        detail = str(exc).splitlines()[0] if str(exc) else kind
        if "timeout" in kind.lower() or "timed out" in detail.lower():
            raise BackendTimeout(f"model {spec} timed out ({detail})") from exc
        raise BackendError(
            f"model {spec} failed: {kind}: {detail}; check that its server is running and the "
            "URL in the spec is right"
        ) from exc
    usage = getattr(reply, "usage_metadata", None) or {}
    record: dict[str, Any] = {
        "model": spec,
        "role": role,
        "plugin": plugin,
        "calls": 1,
        "input_tokens": int(usage.get("input_tokens", 0)),
        "output_tokens": int(usage.get("output_tokens", 0)),
        "seconds": time.perf_counter() - started,
        "finish_reason": generation.finish_reason(reply),
    }
    if tools is not None:
        record["message"] = reply
    return str(reply.content).strip(), record


def _history(state: TurnState, turns: int) -> list[BaseMessage]:
    messages = state.get("messages") or []
    return list(messages[-2 * turns :]) if turns else []


def _coordinator_history(state: TurnState, runtime: Runtime) -> list[BaseMessage]:
    """Earlier turns for the coordinator: none for a bundled (llama.cpp) model, which repeated
    an earlier answer when given one ("The capital of Peru is Lima." for "And what is its
    population?"); the standalone question carries what the thread adds."""
    if runtime.coordinator_spec.startswith("llamacpp:"):
        return []
    return _history(state, runtime.history_turns)


def _citation(hit: Hit) -> dict[str, Any]:
    snippet = hit.text if len(hit.text) <= 280 else hit.text[:277].rstrip() + "..."
    return {
        "plugin": hit.plugin,
        "source": hit.source_name,
        "path": hit.source,
        "chunk_id": hit.chunk_id,
        "title": hit.title,
        "score": round(hit.score, 4),
        "snippet": snippet,
    }


def _cited(answer: str, evidence: list[Evidence]) -> list[Hit]:
    """The chunks whose sentences the answer draws on (at least the best one), no repeats."""
    words = set(content_words(answer))
    used = [e for e in evidence if words & set(content_words(e.sentence))]
    if not used:
        used = sorted(evidence, key=lambda e: e.score, reverse=True)[:1]
    seen: dict[str, Hit] = {}
    for e in used:
        seen.setdefault(e.hit.chunk_id, e.hit)
    return list(seen.values())


def build_graph(runtime: Runtime, checkpointer: Any = None) -> Any:
    """Compile the coordinator graph over the engine's runtime."""
    graph_threads.install()  # one thread pool for all runs, not one per run

    def route(state: TurnState, config: RunnableConfig) -> dict[str, Any]:
        usage: list[dict[str, Any]] = []
        forced = state.get("forced_plugin")
        alone = standalone(state["question"], state.get("messages") or [])
        question = alone.question
        if not forced and desks.is_desk_question(state["question"]):  # before any rewrite
            decision = Route(
                [],
                "coordinator",
                "a question about the desk itself: answered from the plugin registry, no model "
                "call",
            )
            return {
                "route": {**decision.as_dict(), "origin": desks.ORIGIN_REGISTRY},
                "mode": decision.mode,
                "reason": decision.reason,
                "standalone": question,
                "usage": usage,
            }
        if forced:
            decision = Route(
                [PluginScore(forced, 1.0)], "specialist", f"{forced} chosen by the user"
            )
        else:
            chooser = None
            if runtime.use_router_llm:

                def ask(prompt: str) -> str:
                    text, record = call_model(
                        runtime,
                        runtime.coordinator_spec,
                        [HumanMessage(prompt)],
                        merge_configs(config, {"tags": ["nostream"]}),
                        "router",
                    )
                    usage.append(record)
                    return text

                chooser = make_llm_chooser(ask)
            sticky = alone.followup and alone.plugin in runtime.plugins
            decision = runtime.router.route(question, None if sticky else chooser)
            if sticky:
                decision = parts.stay_with(decision, alone.plugin or "", runtime.router.accepts)
        found = decision.as_dict()
        if alone.followup:
            found.update(followup=True, standalone=question)
        return {
            "route": found,
            "mode": decision.mode,
            "reason": decision.reason,
            "standalone": question,
            "usage": usage,
        }

    def dispatch(state: TurnState) -> list[Send] | str:
        chosen = state["route"]["plugins"]
        if not chosen:
            return "coordinate"
        # Specialists get the standalone question (their part of it) and no raw history in their
        # prompt: with history the bundled model answered earlier questions again (steak for
        # "Can I freeze cooked rice?"); the rewrite already carries what the thread adds. The
        # last turn still rides along for selection only (the next answer tends to follow the
        # previous one in the notes).
        question = state.get("standalone") or state["question"]
        return [
            Send(
                "consult",
                ConsultTask(
                    question=parts.question_for(state["route"], p["name"], question),
                    plugin=p["name"],
                    score=p["score"],
                    history=_history(state, 1),
                    document=state.get("document"),
                ),
            )
            for p in chosen
        ]

    def consult(task: ConsultTask, config: RunnableConfig) -> dict[str, Any]:
        plugin = runtime.plugins[task["plugin"]]
        question = task["question"]
        problem = runtime.store.knowledge_problem(plugin.name)
        if problem:  # say so rather than let the model answer from nothing
            said = {"retrieval": 0.0, "support": 0.0, "grounded": True, "reason": problem}
            consult = {"plugin": plugin.name, "answer": problem, "grounding": said}
            return {"consults": [{**consult, "citations": [], "facts": []}], "usage": []}
        document = task.get("document")
        k = max(plugin.top_k, answering.SCOPED_K) if document else plugin.top_k
        hits = hooks.retrieve(
            plugin,
            question,
            k,
            lambda q, k: runtime.store.search(
                plugin.name, q, k=k, document=document, keyword_weight=plugin.keyword_weight
            ),
        )
        retrieval = hits[0].score if hits else 0.0
        hits = answering.reading_order(hits) if document else hits
        previous = specialist.previous_answer(task["history"])
        selection = answering.select(
            question, hits, runtime.embedder, previous, scoped=document is not None
        )
        if runtime.followup_rerank == "lm":  # opt-in: the model reads the follow-up (lm_rerank)
            asked = lm_rerank.previous_question(task["history"])
            selection = lm_rerank.rerank(plugin.model, question, selection, asked, previous)
        gap = specialist.declined(plugin.name, question, selection, hits, retrieval, _citation)
        entry = answering.entry_answer(question, selection)
        if entry is not None:  # reference docs: the option's own entry is the answer, verbatim
            said = specialist.verified(
                plugin.name, question, entry.sentence, selection, [entry], retrieval, _citation
            )
            return {"consults": [hooks.process_answer(plugin.name, question, said)], "usage": []}
        try:
            kit = tool_loop.Toolkit.for_plugin(
                plugin, lambda spec: runtime.chat_model(spec, plugin=plugin)
            )
        except BackendError as exc:
            return {"consults": [degrade.failed_consult(plugin.name, plugin.model, exc)]}
        if kit:
            kit.pre_step(question)
        if not selection.covered and not (kit and kit.may_answer):
            # no model call: an honest gap beats an invented answer
            return {"consults": [gap], "usage": []}
        evidence = selection.evidence() if selection.covered else []
        facts = [c.sentence for c in evidence]

        def prompt(facts: list[str]) -> list[BaseMessage]:
            return fit_prompt(
                runtime.chat_model(plugin.model, plugin=plugin),
                [
                    SystemMessage(prompts.specialist_system(plugin.system_prompt)),
                    HumanMessage(
                        prompts.specialist_user(prompts.EXAMPLE_QUESTION, prompts.EXAMPLE_FACTS)
                    ),
                    AIMessage(prompts.EXAMPLE_ANSWER),
                ],
                [],  # no raw history in the prompt (see dispatch)
                [HumanMessage(prompts.specialist_user(question, prompts.format_facts(facts)))],
                runtime.context_budget,
            )

        # Not streamed: the answer is shown only once its claims are checked.
        quiet = merge_configs(config, {"tags": ["nostream"]})

        def invoke(messages: list[BaseMessage], tools: Any) -> tuple[str, dict[str, Any]]:
            return call_model(
                runtime, plugin.model, messages, quiet, "specialist", plugin.name, tools
            )

        try:
            if kit:
                generated, usage = kit.answer(question, prompt, facts, invoke)
            else:
                generated, record = invoke(prompt(facts), None)
                usage = [record]
        except BackendError as exc:  # the other parts still answer; synthesize decides
            return {"consults": [degrade.failed_consult(plugin.name, plugin.model, exc)]}
        if kit and not evidence and not kit.facts:  # the tools found nothing either
            return {"consults": [{**gap, **kit.record()}], "usage": usage}
        consult = specialist.verified(
            plugin.name,
            question,
            generated,
            selection,
            evidence,
            retrieval,
            _citation,
            kit.facts if kit else [],
        )
        consult = hooks.process_answer(plugin.name, question, consult)
        return {"consults": [{**consult, **(kit.record() if kit else {})}], "usage": usage}

    def _finish(state: TurnState, answer: str, **extra: Any) -> dict[str, Any]:
        failed = degrade.failures(state.get("consults") or [])
        route = {**state["route"], **extra.pop("route_update", {})}
        route.update({"failed": failed} if failed else {})
        route.update(tool_loop.route_record(state.get("consults") or []))  # every tool call
        if "origin" not in route:
            mode = extra.get("mode", state.get("mode"))
            sourced = mode in ("specialist", "multi") or extra.get("citations")
            route["origin"] = desks.ORIGIN_KNOWLEDGE if sourced else desks.ORIGIN_GENERAL
        if failed:
            answer = f"{answer}\n\n{degrade.note(failed)}".strip()
        # The route and sources ride with the stored message, so a reopened thread shows them.
        meta = {
            "route": {
                **route,
                "mode": extra.get("mode", state.get("mode")),
                "reason": extra.get("reason", state.get("reason")),
            },
            "citations": extra.get("citations", []),
        }
        return {
            "route": route,
            "answer": answer,
            "messages": [
                HumanMessage(state["question"]),
                AIMessage(answer, additional_kwargs={"frontdesk": meta}),
            ],
            **extra,
        }

    def synthesize(state: TurnState, config: RunnableConfig) -> dict[str, Any]:
        failed = degrade.failures(state.get("consults") or [])
        consults = [c for c in state.get("consults") or [] if not c.get("failed")]
        if failed and not consults:
            raise degrade.nothing_left(failed)
        reason = state.get("reason", "") + (f"; {degrade.reason(failed)}" if failed else "")
        grounded = [
            c
            for c in consults
            if c["grounding"]["grounded"]
            or not escalates(runtime.plugins[c["plugin"]], runtime.escalate)
            or not escalation.helps(runtime.coordinator_spec, runtime.plugins[c["plugin"]].model)
        ]
        if not grounded:
            why = "; ".join(f"{c['plugin']}: {c['grounding']['reason']}" for c in consults)
            reason = f"{reason}; escalated to the coordinator ({why})"
            return {"mode": "escalated", "reason": reason.lstrip("; ")}
        if len(consults) == 1 and not failed:
            only = consults[0]
            return _finish(state, only["answer"], citations=only["citations"])
        # A part its notes do not cover is said not found, never merged as if answered.
        answered = [c for c in grounded if not c["grounding"].get("declined")]
        citations = [cit for c in answered for cit in c["citations"]]
        missing = [c for c in consults if c not in answered]
        usage: list[dict[str, Any]] = []
        if not answered:
            answer = ""
        elif len(answered) == 1:
            answer = answered[0]["answer"]
        else:
            merge = [
                SystemMessage(prompts.COORDINATOR_SYSTEM + "\n\n" + prompts.MERGE_INSTRUCTIONS),
                HumanMessage(
                    prompts.merge_user(
                        state.get("standalone") or state["question"],
                        [(c["plugin"], c["answer"]) for c in answered],
                    )
                ),
            ]
            try:
                answer, record = call_model(
                    runtime, runtime.coordinator_spec, merge, config, "merge"
                )
                usage = [record]
                asked = state.get("standalone") or state["question"]
                if not parts.complete(answer, answered, asked):  # a merge may not drop a part
                    answer = parts.compose(state["route"], answered)
                    reason += (
                        "; the merged answer left a part out, so each part is given as answered"
                    )
            except BackendError as exc:  # each part still stands on its own
                answer, usage = "\n\n".join(c["answer"] for c in answered), []
                reason += (
                    "; the coordinator could not be reached to merge the parts "
                    f"({str(exc).split(';')[0]})"
                )
        if missing:  # said, never dropped silently
            gaps = [parts.gap(state["route"], c) for c in missing]
            answer = "\n\n".join([answer, *gaps] if answer else gaps)
            reason += f"; not found in the knowledge of: {', '.join(c['plugin'] for c in missing)}"
        by_part = {"parts": parts.attribution(state["route"], consults, answered)}
        return _finish(
            state, answer, citations=citations, usage=usage, reason=reason, route_update=by_part
        )

    def after_synthesize(state: TurnState) -> str:
        return END if state.get("mode") != "escalated" else "coordinate"

    def coordinate(state: TurnState, config: RunnableConfig) -> dict[str, Any]:
        question = state.get("standalone") or state["question"]
        if state["route"].get("origin") == desks.ORIGIN_REGISTRY:
            return _finish(state, desks.directory(runtime.plugins), citations=[], usage=[])
        if state.get("mode") == "coordinator" and runtime.off_topic == "decline":
            return _finish(
                state,
                desks.decline(runtime.plugins),
                citations=[],
                usage=[],
                reason=f"{state.get('reason', '')}; off-topic questions are declined "
                "(FRONTDESK_OFF_TOPIC=decline)",
                route_update={"origin": "declined"},
            )
        system = prompts.COORDINATOR_SYSTEM
        citations: list[dict[str, Any]] = []
        escalated = state.get("mode") == "escalated"
        facts = [f for c in state.get("consults") or [] for f in c["facts"]]
        if escalated and facts:
            system += "\n\n" + prompts.ESCALATION_NOTE.format(reason=state.get("reason", ""))
            system += "\nFacts:\n" + prompts.format_facts([f["text"] for f in facts])
        messages = fit_prompt(
            runtime.chat_model(runtime.coordinator_spec),
            [SystemMessage(system)],
            _coordinator_history(state, runtime),
            [HumanMessage(prompts.coordinator_user(question))],
            runtime.context_budget,
        )
        answer, record = call_model(
            runtime, runtime.coordinator_spec, messages, config, "coordinator"
        )
        if (
            escalated
            and facts
            and not verify(answer, question, [f["text"] for f in facts]).supported
        ):
            # Checked as a specialist's answer is: one the notes do not support is the general
            # model's, without their citations — or, where those are declined, the specialists'
            # own answers stand.
            consults = state.get("consults") or []
            notes = ", ".join(f"the {c['plugin']} notes" for c in consults)
            if runtime.off_topic == "decline":
                return _finish(
                    state,
                    "\n\n".join(c["answer"] for c in consults),
                    citations=[cit for c in consults for cit in c["citations"]],
                    usage=[record],
                    reason=f"{state.get('reason', '')}; the coordinator's answer is not supported "
                    f"by {notes}, and general answers are declined (FRONTDESK_OFF_TOPIC=decline)",
                    route_update={"origin": desks.ORIGIN_KNOWLEDGE},
                )
            return _finish(
                state,
                answer,
                citations=[],
                usage=[record],
                reason=f"{state.get('reason', '')}; the coordinator's answer is not supported by "
                f"{notes}: it is the general model's",
                route_update={"origin": desks.ORIGIN_GENERAL},
            )
        words = set(content_words(answer))
        for fact in facts:  # cite only the facts the coordinator's answer draws on
            cit = fact["citation"]
            if words & set(content_words(fact["text"])) and cit not in citations:
                citations.append(cit)
        return _finish(state, answer, citations=citations, usage=[record])

    graph = StateGraph(TurnState)
    graph.add_node("route", route)
    graph.add_node("consult", consult)  # type: ignore[arg-type]
    graph.add_node("synthesize", synthesize)
    graph.add_node("coordinate", coordinate)
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", dispatch, ["consult", "coordinate"])
    graph.add_edge("consult", "synthesize")
    graph.add_conditional_edges("synthesize", after_synthesize, ["coordinate", END])
    graph.add_edge("coordinate", END)
    return graph.compile(checkpointer=checkpointer)
