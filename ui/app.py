"""The web chat: a Gradio front end over the engine's public API (nothing re-implemented here)."""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gradio as gr
import pandas as pd
from gradio.utils import get_upload_folder as gradio_upload_folder

from frontdesk.admission import Busy
from frontdesk.auth import caller_of
from frontdesk.desks import origin_note
from frontdesk.engine import Engine
from frontdesk.errors import FrontdeskError, InputError

AUTO = "auto"
CSS = """
.fd-route { font-size: 0.9em; opacity: 0.85; }
.fd-sources details { margin: 0.2em 0; }
.fd-sources summary { cursor: pointer; }
.fd-snippet { font-size: 0.85em; white-space: pre-wrap; border-left: 3px solid #ddd; padding-left: 0.6em; }
@media (max-width: 640px) { .fd-side { min-width: 100% !important; } }
"""


def route_text(route: dict[str, Any]) -> str:
    names = ", ".join(f"{p['name']} ({p['score']:.2f})" for p in route.get("plugins", []))
    line = f"{route.get('mode', '?')} · {names or 'coordinator'} — {route.get('reason', '')}"
    label = origin_note(route)
    understood = route.get("standalone")
    return (
        line
        + (f" · understood as: {understood}" if understood else "")
        + (f" · **{label}**" if label else "")
    )


def sources_html(citations: list[dict[str, Any]]) -> str:
    items = []
    for i, c in enumerate(citations, 1):
        link = f"/source/{quote(c['plugin'])}/{quote(c['source'])}"
        items.append(
            f"<details><summary>[{i}] {html.escape(c['plugin'])} / "
            f"<a href='{link}' target='_blank'>{html.escape(c['source'])}</a>"
            f" <small>({html.escape(c['chunk_id'])})</small></summary>"
            f"<div class='fd-snippet'>{html.escape(c['snippet'])}</div></details>"
        )
    return "<div class='fd-sources'>" + "".join(items) + "</div>"


def annotations(route: dict[str, Any], citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The route and the sources, as collapsible messages under an answer."""
    out = [
        {
            "role": "assistant",
            "content": html.escape(route.get("reason", "")),
            "metadata": {"title": f"Route: {route_text(route).split(' — ')[0]}", "status": "done"},
        }
    ]
    if citations:
        out.append(
            {
                "role": "assistant",
                "content": sources_html(citations),
                "metadata": {"title": f"Sources ({len(citations)})", "status": "done"},
            }
        )
    return out


def history_messages(engine: Engine, thread_id: str, owner: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for m in engine.history(thread_id, owner):
        if m.type == "human":
            messages.append({"role": "user", "content": str(m.content)})
        else:
            messages.append({"role": "assistant", "content": str(m.content)})
            meta = m.additional_kwargs.get("frontdesk")
            if meta:
                messages.extend(annotations(meta["route"], meta["citations"]))
    return messages


def thread_choices(engine: Engine, owner: str) -> list[tuple[str, str]]:
    return [(t["title"], t["thread_id"]) for t in engine.threads(50, owner=owner)]


def owner_of(request: gr.Request) -> str:
    return caller_of(request).owner


def uploaded_files(paths: list[str]) -> list[Path]:
    """The files of one upload, each checked to be in Gradio's upload folder: a path the
    client names is never read from anywhere else on the server."""
    folder = Path(gradio_upload_folder()).resolve()
    files = [Path(p).resolve() for p in paths]
    for f in files:
        if not f.is_relative_to(folder) or not f.is_file():
            raise InputError(f"'{f.name}' was not uploaded through the web chat; upload it again")
    return files


def plugins_table(engine: Engine) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for p in engine.plugin_info():
        if p["name"] is None:  # broken manifests first: they need attention
            rows.insert(
                0,
                {
                    "plugin": "(broken)",
                    "status": p["error"],
                    "model": "",
                    "documents": 0,
                    "chunks": 0,
                    "last ingest": "",
                    "description": "",
                },
            )
            continue
        rows.append(
            {
                "plugin": p["name"],
                "status": p["error"] or ("ok" if p["chunks"] else "not ingested"),
                "model": p["model"],
                "documents": p["documents"],
                "chunks": p["chunks"],
                "last ingest": p["last_ingest"] or "never",
                "description": p["description"],
            }
        )
    return pd.DataFrame(rows)


def plugin_choices(engine: Engine, target: str | None) -> tuple[Any, Any]:
    """The specialist picker's and the ingest target's choices, as of now: a page loaded after
    a plugin reload (frontdesk.reload) offers the plugins it added and none it removed."""
    names = sorted(engine.plugins)
    chosen = target if target in names else (names[0] if names else None)
    return gr.Dropdown(choices=[AUTO, *names]), gr.Dropdown(choices=names, value=chosen)


def stats_views(engine: Engine, scope: str) -> tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    s = engine.stats(since_start=scope == "since start")
    share = f"{s['specialist_only_share']:.0%}" if s["answers"] else "—"
    text = (
        f"**{s['answers']}** answers · **{share}** never reached the coordinator · "
        f"latency p50 {s['latency_p50']:.2f}s, p95 {s['latency_p95']:.2f}s"
    )
    modes = pd.DataFrame(
        [{"mode": k, "answers": v} for k, v in s["modes"].items()]
        or [{"mode": "none yet", "answers": 0}]
    )
    models = pd.DataFrame(
        s["models"]
        or [
            {
                "model": "none yet",
                "calls": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "seconds": 0.0,
                "seconds_per_call": 0.0,
            }
        ]
    )
    tokens = models.melt(
        id_vars=["model"],
        value_vars=["input_tokens", "output_tokens"],
        var_name="kind",
        value_name="tokens",
    )
    return text, modes, models, tokens


def build_ui(engine: Engine) -> gr.Blocks:
    plugin_names = sorted(engine.plugins)

    with gr.Blocks(title="frontdesk") as demo:
        thread_state = gr.BrowserState(None, storage_key="frontdesk-thread")
        gr.Markdown("## frontdesk\nAsk anything: the front desk sends it to the right specialist.")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row():
                with gr.Column(scale=1, min_width=220, elem_classes="fd-side"):
                    new_chat = gr.Button("New chat", variant="secondary", elem_id="new-chat")
                    threads = gr.Dropdown(label="Earlier chats", choices=[], elem_id="threads")
                    delete_chat = gr.Button(
                        "Delete this chat", variant="stop", size="sm", elem_id="delete-chat"
                    )
                    # Asked in the page, not with a script dialog: the CSP allows no eval.
                    with gr.Row(visible=False) as confirm_row:
                        confirm_delete = gr.Button(
                            "Yes, delete", variant="stop", size="sm", elem_id="confirm-delete"
                        )
                        cancel_delete = gr.Button("Keep it", size="sm", elem_id="cancel-delete")
                    picker = gr.Dropdown(
                        [AUTO, *plugin_names], value=AUTO, label="Specialist", elem_id="specialist"
                    )
                with gr.Column(scale=4):
                    chatbot = gr.Chatbot(
                        label="frontdesk",
                        height=520,
                        elem_id="chatbot",
                        sanitize_html=True,
                        feedback_options=None,
                    )
                    route_box = gr.Markdown("", elem_classes="fd-route", elem_id="route")
                    with gr.Row():
                        box = gr.Textbox(
                            placeholder="Ask a question…",
                            show_label=False,
                            scale=5,
                            elem_id="question",
                            autofocus=True,
                        )
                        send = gr.Button("Send", variant="primary", scale=1, elem_id="send")

            with gr.Tab("Plugins", id="plugins"):
                table = gr.Dataframe(
                    plugins_table(engine),
                    interactive=False,
                    wrap=True,
                    max_height=2000,
                    elem_id="plugins-table",
                )
                with gr.Row():
                    target = gr.Dropdown(
                        plugin_names,
                        label="Plugin",
                        elem_id="ingest-plugin",
                        value=plugin_names[0] if plugin_names else None,
                    )
                    reingest = gr.Button("Re-ingest", elem_id="reingest")
                upload = gr.File(
                    label="Add documents (.md, .txt, .html, .pdf)",
                    file_count="multiple",
                    file_types=[".md", ".txt", ".html", ".htm", ".pdf"],
                    elem_id="upload",
                )
                replace_box = gr.Checkbox(
                    label="Replace a document with the same name (otherwise it is kept and "
                    "the upload gets a numbered name)",
                    value=False,
                    elem_id="upload-replace",
                )
                plugin_status = gr.Markdown("", elem_id="plugin-status")
                upload_note = gr.State("")
                ticker = gr.Timer(1.0, active=False)

            with gr.Tab("Stats", id="stats"):
                with gr.Row():
                    scope = gr.Radio(
                        ["since start", "all history"],
                        value="since start",
                        label="Period",
                        elem_id="stats-scope",
                    )
                    refresh = gr.Button("Refresh", elem_id="stats-refresh")
                summary = gr.Markdown("", elem_id="stats-summary")
                with gr.Row():
                    modes_plot = gr.BarPlot(
                        x="mode", y="answers", title="Answers by mode", y_lim=[0, None]
                    )
                    calls_plot = gr.BarPlot(
                        x="model", y="calls", title="Calls per model", y_lim=[0, None]
                    )
                with gr.Row():
                    tokens_plot = gr.BarPlot(
                        x="model",
                        y="tokens",
                        color="kind",
                        title="Tokens per model",
                        y_lim=[0, None],
                    )
                    latency_plot = gr.BarPlot(
                        x="model", y="seconds_per_call", title="Seconds per call", y_lim=[0, None]
                    )

        # --- chat ------------------------------------------------------------------------

        def load(thread_id: str | None, request: gr.Request) -> tuple[Any, ...]:
            owner = owner_of(request)
            try:
                messages = history_messages(engine, thread_id, owner) if thread_id else []
            except FrontdeskError:  # another user's thread (or a malformed id): start afresh
                thread_id, messages = None, []
            return (
                thread_id or uuid.uuid4().hex,
                messages,
                gr.update(choices=thread_choices(engine, owner), value=None),
            )

        def start_new(request: gr.Request) -> tuple[Any, ...]:
            choices = thread_choices(engine, owner_of(request))
            return uuid.uuid4().hex, [], "", gr.update(choices=choices, value=None)

        def reopen(
            thread_id: str | None, current: str | None, request: gr.Request
        ) -> tuple[Any, ...]:
            if not thread_id:
                return current, gr.update(), ""
            try:
                return thread_id, history_messages(engine, thread_id, owner_of(request)), ""
            except FrontdeskError as exc:
                return current, gr.update(), f"Error: {exc}"

        def respond(
            question: str, thread_id: str | None, plugin: str, request: gr.Request
        ) -> Iterator[tuple[Any, ...]]:
            # The transcript comes from the engine's memory, never from the client: what a
            # browser (or a script) sends as "history" is not trusted, not even for display.
            owner = owner_of(request)
            thread_id = thread_id or uuid.uuid4().hex
            try:
                history = history_messages(engine, thread_id, owner)
            except FrontdeskError:
                thread_id, history = uuid.uuid4().hex, []
            history.append({"role": "user", "content": question})
            answer_at = len(history)
            history.append({"role": "assistant", "content": ""})
            yield history, "", thread_id, "Routing…"
            text, route_line = "", ""
            try:
                # The API's slots and queue: a busy server says so instead of piling up.
                ticket = engine.admission.acquire_blocking()
            except Busy as exc:
                busy = f"frontdesk is busy, retry in {exc.retry_after} s."
                history[answer_at] = {"role": "assistant", "content": busy}
                yield history, question, thread_id, "busy"
                return
            try:
                chosen = None if plugin == AUTO else plugin
                for event in engine.stream(question, thread_id, chosen, owner=owner):
                    if event.kind == "route":
                        route_line = route_text(event.data)
                        yield history, "", thread_id, route_line
                    elif event.kind == "token" and event.data["answer"]:
                        text += event.data["text"]
                        history[answer_at] = {"role": "assistant", "content": text}
                        yield history, "", thread_id, route_line
                    elif event.kind == "replace":  # the checked answer, not what streamed
                        text = event.data["text"]
                        history[answer_at] = {"role": "assistant", "content": text}
                        yield history, "", thread_id, route_line
                    elif event.kind == "escalate":
                        text = ""
                        route_line = f"escalated — {event.data['reason']}"
                        yield history, "", thread_id, route_line
                    elif event.kind == "answer":
                        data = event.data
                        history[answer_at] = {"role": "assistant", "content": data["answer"]}
                        history.extend(annotations(data["route"], data["citations"]))
                        yield history, "", thread_id, route_text(data["route"])
            except FrontdeskError as exc:
                history[answer_at] = {"role": "assistant", "content": f"Error: {exc}"}
                yield history, question, thread_id, "error"
            finally:
                ticket.release()

        send_args = {
            "fn": respond,
            "inputs": [box, thread_state, picker],
            "outputs": [chatbot, box, thread_state, route_box],
        }

        def refresh_threads(request: gr.Request) -> Any:
            return gr.update(choices=thread_choices(engine, owner_of(request)))

        send.click(**send_args).then(refresh_threads, outputs=threads)
        box.submit(**send_args).then(refresh_threads, outputs=threads)
        new_chat.click(start_new, outputs=[thread_state, chatbot, route_box, threads])

        def delete_current(thread_id: str | None, request: gr.Request) -> tuple[Any, ...]:
            """Forget the open thread for good (once the user confirmed)."""
            hide = gr.Row(visible=False)
            if not thread_id:
                return gr.update(), gr.update(), gr.update(), gr.update(), hide
            try:
                deleted = engine.delete_thread(thread_id, owner_of(request))
            except FrontdeskError as exc:
                return gr.update(), gr.update(), f"Error: {exc}", gr.update(), hide
            fresh, messages, _, choices = start_new(request)
            note = "Chat deleted." if deleted else "Nothing to delete."
            return fresh, messages, note, choices, hide

        delete_chat.click(lambda: gr.Row(visible=True), outputs=confirm_row)
        cancel_delete.click(lambda: gr.Row(visible=False), outputs=confirm_row)
        confirm_delete.click(
            delete_current,
            inputs=thread_state,
            outputs=[thread_state, chatbot, route_box, threads, confirm_row],
        )
        threads.input(
            reopen, inputs=[threads, thread_state], outputs=[thread_state, chatbot, route_box]
        )
        demo.load(load, inputs=thread_state, outputs=[thread_state, chatbot, threads])

        # --- plugins ---------------------------------------------------------------------

        # Ingests run in the background (engine.jobs); the tab polls them while they run, so
        # an upload never holds a request, or anyone's answers, for the minutes it may take.

        def do_ingest(name: str | None, note: str = "") -> tuple[Any, ...]:
            if not name:
                return plugins_table(engine), "Choose a plugin first.", "", gr.Timer(active=False)
            job = engine.jobs.start(name)
            return plugins_table(engine), f"{note}{job.describe()}", note, gr.Timer(active=True)

        def do_upload(name: str | None, files: list[str] | None, replace: bool) -> tuple[Any, ...]:
            if not name or not files:
                return plugins_table(engine), "Choose a plugin and files.", "", None, gr.Timer()
            notes = []
            try:
                for path in uploaded_files(files):
                    data = path.read_bytes()
                    notes.append(engine.add_document(name, path.name, data, replace).note)
            except FrontdeskError as exc:
                return plugins_table(engine), f"Error: {exc}", "", None, gr.Timer(active=False)
            note = f"Added {len(notes)} file(s) ({'; '.join(notes)}). "
            table_, status, note, timer = do_ingest(name, note)
            return table_, status, note, None, timer

        def poll(name: str | None, note: str) -> tuple[Any, ...]:
            job = engine.jobs.get(name) if name else None
            if job is None:
                return gr.update(), gr.update(), gr.Timer(active=False)
            if job.running:
                return gr.update(), f"{note}{job.describe()}", gr.Timer(active=True)
            return plugins_table(engine), f"{note}{job.describe()}", gr.Timer(active=False)

        reingest.click(
            do_ingest, inputs=target, outputs=[table, plugin_status, upload_note, ticker]
        )
        upload.upload(
            do_upload,
            inputs=[target, upload, replace_box],
            outputs=[table, plugin_status, upload_note, upload, ticker],
        )
        ticker.tick(poll, inputs=[target, upload_note], outputs=[table, plugin_status, ticker])

        # --- stats -----------------------------------------------------------------------

        def show_stats(which: str) -> tuple[Any, ...]:
            text, modes, models, tokens = stats_views(engine, which)
            return text, modes, models, tokens, models

        stat_outputs = [summary, modes_plot, calls_plot, tokens_plot, latency_plot]
        refresh.click(show_stats, inputs=scope, outputs=stat_outputs)
        scope.change(show_stats, inputs=scope, outputs=stat_outputs)
        demo.load(show_stats, inputs=scope, outputs=stat_outputs)
        demo.load(lambda: plugins_table(engine), outputs=table)
        demo.load(lambda t: plugin_choices(engine, t), inputs=target, outputs=[picker, target])

    return demo
