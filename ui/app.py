"""The web chat: a Gradio front end over the engine's public API (nothing re-implemented here).

This module lays the page out and wires events; the parts live beside it: chat.py (answering,
Stop, Regenerate, edit and resend), render.py (how answers look), feedback.py, sources.py,
threads.py (Earlier chats), welcome.py and tabs.py (Plugins, Stats).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder as gradio_upload_folder

from frontdesk.engine import Engine
from frontdesk.errors import FrontdeskError, InputError

from . import chat, feedback, sources, tabs, threads, welcome
from .chat import AUTO, owner_of
from .render import history_messages, shown

SCRIPT = "/frontdesk-ui/frontdesk.js"
HEAD = f'<script src="{SCRIPT}" defer></script>'
CSS = """
.fd-route { font-size: 0.9em; opacity: 0.85; }
.fd-sources details { margin: 0.2em 0; }
.fd-sources summary { cursor: pointer; }
.fd-snippet { font-size: 0.85em; white-space: pre-wrap; border-left: 3px solid #ddd; padding-left: 0.6em; }
.fd-parts { margin: 0.2em 0; padding-left: 1.2em; }
#chatbot .message-wrap { padding-top: 0.4em; }
#chatbot label[data-testid="block-label"] { position: static; }
.fd-panel h3 { margin: 0 0 0.5em 0; font-size: 1em; }
.fd-doc { overflow-wrap: anywhere; max-height: 560px; overflow: auto;
  font-family: inherit; font-size: 0.9em; line-height: 1.5; margin: 0; }
.fd-doc mark { background: #ffe066; color: #111; padding: 0 2px; border-radius: 2px; }
.fd-table-wrap { overflow-x: auto; }
.fd-plugins { border-collapse: collapse; width: 100%; font-family: inherit; font-size: 0.95em; }
.fd-plugins th, .fd-plugins td { text-align: left; vertical-align: top; padding: 0.45em 0.6em;
  border-bottom: 1px solid var(--border-color-primary); word-break: normal;
  overflow-wrap: normal; hyphens: none; }
.fd-plugins thead th { white-space: nowrap; }
.fd-plugins td { white-space: nowrap; }
.fd-plugins td:last-child { white-space: normal; min-width: 12em; }
.fd-plugins .fd-name { display: block; font-weight: 600; }
.fd-plugins .fd-desc { display: block; font-weight: normal; opacity: 0.8; white-space: normal;
  min-width: 14em; max-width: 32em; }
.fd-stats { border-collapse: collapse; margin-bottom: 0.8em; }
.fd-stats th, .fd-stats td { text-align: left; padding: 0.15em 0.6em; white-space: nowrap; }
.fd-stats .fd-bar { color: var(--color-accent); letter-spacing: -1px; }
.fd-plugins tr.fd-broken th, .fd-plugins tr.fd-error th { color: var(--error-text-color); }
@media (max-width: 640px) {
  #source-col { position: fixed; inset: 0; z-index: 1000; overflow: auto;
    background: var(--background-fill-primary); padding: 0.8em; }
  #chat-row { flex-wrap: wrap; }
}
"""


def uploaded_files(paths: list[str]) -> list[Path]:
    """The files of one upload, each checked to be in Gradio's upload folder: a path the
    client names is never read from anywhere else on the server."""
    folder = Path(gradio_upload_folder()).resolve()
    files = [Path(p).resolve() for p in paths]
    for f in files:
        if not f.is_relative_to(folder) or not f.is_file():
            raise InputError(f"'{f.name}' was not uploaded through the web chat; upload it again")
    return files


def build_ui(engine: Engine) -> gr.Blocks:
    plugin_names = sorted(engine.plugins)

    with gr.Blocks(title="frontdesk") as demo:
        thread_state = gr.BrowserState(None, storage_key="frontdesk-thread")
        rated = gr.State(None)  # the answer a thumbs-down form is about
        edited = gr.State(None)  # (chat index, new text) of an edited question
        with gr.Sidebar(label="Chats", elem_id="sidebar"):
            new_chat = gr.Button("New chat", variant="secondary", elem_id="new-chat")
            search = gr.Textbox(
                placeholder="Search chats by words", show_label=False, elem_id="thread-search"
            )
            thread_list = gr.Dropdown(label="Earlier chats", choices=[], elem_id="threads")
            with gr.Row():
                title_box = gr.Textbox(
                    placeholder="New title for this chat",
                    show_label=False,
                    scale=3,
                    elem_id="rename-title",
                )
                rename_btn = gr.Button("Rename", size="sm", scale=1, elem_id="rename")
            delete_chat = gr.Button(
                "Delete this chat", variant="stop", size="sm", elem_id="delete-chat"
            )
            picker = gr.Dropdown(
                [AUTO, *plugin_names], value=AUTO, label="Specialist", elem_id="specialist"
            )
            regen_mode = gr.Radio(
                ["replace it", "keep both"],
                value="replace it",
                label="Regenerate an answer and…",
                elem_id="regen-mode",
            )
        gr.Markdown("## frontdesk\nAsk anything: the front desk sends it to the right specialist.")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(elem_id="chat-row"):
                with gr.Column(scale=4, min_width=300):
                    chatbot = gr.Chatbot(
                        label="frontdesk",
                        show_label=False,
                        height=520,
                        elem_id="chatbot",
                        sanitize_html=True,
                        editable="user",
                        buttons=["copy"],
                        feedback_options=("Like", "Dislike"),
                        placeholder=welcome.welcome_markdown(engine),
                        examples=welcome.examples(engine),  # type: ignore[arg-type]
                    )
                    route_box = gr.Markdown("", elem_classes="fd-route", elem_id="route")
                    feedback_note = gr.Markdown("", elem_id="feedback-note")
                    with gr.Group(visible=False, elem_id="feedback-form") as feedback_form:
                        reason = gr.Textbox(
                            label="What was wrong? (optional)", elem_id="feedback-reason"
                        )
                        should = gr.Dropdown(
                            feedback.specialist_choices(engine),  # type: ignore[arg-type]
                            value="",
                            label="Which specialist should have answered?",
                            elem_id="feedback-plugin",
                        )
                        send_feedback = gr.Button(
                            "Send feedback", size="sm", elem_id="feedback-send"
                        )
                    # Asked in the page, not with a script dialog (and not in the drawer).
                    with gr.Row(visible=False, elem_id="confirm-row") as confirm_row:
                        gr.Markdown("**Delete this chat for good?**")
                        confirm_delete = gr.Button(
                            "Yes, delete", variant="stop", size="sm", elem_id="confirm-delete"
                        )
                        cancel_delete = gr.Button("Keep it", size="sm", elem_id="cancel-delete")
                    with gr.Row():
                        box = gr.Textbox(
                            placeholder="Ask a question…",
                            show_label=False,
                            scale=5,
                            elem_id="question",
                            autofocus=True,
                        )
                        send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                        stop = gr.Button(
                            "Stop", variant="stop", scale=1, visible=False, elem_id="stop"
                        )
                with gr.Column(
                    scale=3, min_width=300, visible=False, elem_id="source-col"
                ) as source_col:
                    close_source = gr.Button("Close", size="sm", elem_id="close-source")
                    source_panel = gr.Markdown("", elem_id="source-panel")
                source_ref = gr.Textbox(visible="hidden", elem_id="source-ref")

            with gr.Tab("Plugins", id="plugins") as plugins_tab:
                table = gr.Markdown("", elem_id="plugins-table")
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

            with gr.Tab("Stats", id="stats") as stats_tab:
                with gr.Row():
                    scope = gr.Radio(
                        [tabs.THIS_SERVER, tabs.ALL_HISTORY],
                        value=tabs.THIS_SERVER,
                        label="Answers given",
                        elem_id="stats-scope",
                    )
                    refresh = gr.Button("Refresh", elem_id="stats-refresh")
                summary = gr.Markdown("", elem_id="stats-summary")
                figures = gr.Markdown("", elem_id="stats-figures")

        # --- chat ------------------------------------------------------------------------

        def load(thread_id: str | None, request: gr.Request) -> tuple[Any, ...]:
            owner = owner_of(request)
            thread_id, messages = chat.transcript(engine, thread_id, owner)
            return (
                thread_id,
                shown(engine, thread_id, owner, messages),
                threads.refresh(engine, "", request),
            )

        def welcome_now() -> Any:
            """The welcome as of now (after a plugin reload too); the chat's messages stay."""
            return gr.Chatbot(
                placeholder=welcome.welcome_markdown(engine),
                examples=welcome.examples(engine),  # type: ignore[arg-type]
            )

        def start_new(request: gr.Request) -> tuple[Any, ...]:
            fresh = uuid.uuid4().hex
            return fresh, shown(engine, None, "", []), "", threads.refresh(engine, "", request)

        def reopen(
            thread_id: str | None, current: str | None, request: gr.Request
        ) -> tuple[Any, ...]:
            if not thread_id:
                return current, gr.update(), ""
            try:
                owner = owner_of(request)
                messages = history_messages(engine, thread_id, owner)
                return thread_id, shown(engine, thread_id, owner, messages), ""
            except FrontdeskError as exc:
                return current, gr.update(), f"Error: {exc}"

        def respond(
            question: str, thread_id: str | None, plugin: str, request: gr.Request
        ) -> Iterator[tuple[Any, ...]]:
            yield from chat.answer(engine, question, thread_id, plugin, request)

        def regenerate(
            mode: str, thread_id: str | None, plugin: str, request: gr.Request
        ) -> Iterator[tuple[Any, ...]]:
            yield from chat.regenerate(engine, mode == "keep both", thread_id, plugin, request)

        def resend(
            messages: list[Any],
            thread_id: str | None,
            plugin: str,
            edited: tuple[int, str] | None,
            request: gr.Request,
        ) -> Iterator[tuple[Any, ...]]:
            yield from chat.edit_and_resend(engine, messages, thread_id, plugin, edited, request)

        def stop_answer(thread_id: str | None, request: gr.Request) -> tuple[Any, ...]:
            return chat.stop(engine, thread_id, request)

        answering = [chatbot, box, thread_state, route_box]
        busy = [send, stop]

        # Event data (the example picked, the message edited) reaches only the first step of a
        # chain: that step takes it, and shows Stop for the answer that follows.
        def show_stop() -> tuple[Any, ...]:
            return gr.update(visible=False), gr.update(visible=True), gr.update(), None

        def take_example(picked: gr.SelectData) -> tuple[Any, ...]:
            value = picked.value
            question = value.get("text", "") if isinstance(value, dict) else str(value)
            return gr.update(visible=False), gr.update(visible=True), question, None

        def take_edit(edit: gr.EditData) -> tuple[Any, ...]:
            index = edit.index if isinstance(edit.index, int) else edit.index[0]
            value = edit.value.get("text", "") if isinstance(edit.value, dict) else edit.value
            return gr.update(visible=False), gr.update(visible=True), gr.update(), (index, value)

        def show_send() -> tuple[Any, ...]:
            return gr.update(visible=True), gr.update(visible=False)

        def list_threads(query: str, request: gr.Request) -> Any:
            return threads.refresh(engine, query, request)

        for trigger, first, fn, inputs in (
            (send.click, show_stop, respond, [box, thread_state, picker]),
            (box.submit, show_stop, respond, [box, thread_state, picker]),
            (chatbot.example_select, take_example, respond, [box, thread_state, picker]),
            (chatbot.retry, show_stop, regenerate, [regen_mode, thread_state, picker]),
            (chatbot.edit, take_edit, resend, [chatbot, thread_state, picker, edited]),
        ):
            run = trigger(
                first, outputs=[*busy, box, edited], queue=False, api_visibility="private"
            ).then(fn, inputs=inputs, outputs=answering)
            run.then(show_send, outputs=busy, queue=False, api_visibility="private").then(
                list_threads, inputs=search, outputs=thread_list, api_visibility="private"
            )
        # Not `cancels=`: Gradio would close the answer's generator on the event loop while
        # the model still runs. The engine's cancel stops it at the next token instead, and
        # the answer's own events end with the stopped state.
        stop.click(stop_answer, inputs=thread_state, outputs=[chatbot, box, route_box], queue=False)

        new_chat.click(start_new, outputs=[thread_state, chatbot, route_box, thread_list])
        search.change(list_threads, inputs=search, outputs=thread_list, show_progress="hidden")

        def rename_current(
            thread_id: str | None, title: str, query: str, request: gr.Request
        ) -> tuple[Any, ...]:
            choices, note = threads.rename(engine, thread_id, title, query, request)
            return choices, note, "" if note == "Renamed." else title

        rename_btn.click(
            rename_current,
            inputs=[thread_state, title_box, search],
            outputs=[thread_list, route_box, title_box],
        )

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

        def ask_to_delete(thread_id: str | None, request: gr.Request) -> tuple[Any, ...]:
            """The chat's trash icon deletes too, but asks first (its view comes back)."""
            owner = owner_of(request)
            _, messages = chat.transcript(engine, thread_id, owner)
            return shown(engine, thread_id, owner, messages), gr.Row(visible=True), ""

        delete_chat.click(lambda: gr.Row(visible=True), outputs=confirm_row)
        chatbot.clear(ask_to_delete, inputs=thread_state, outputs=[chatbot, confirm_row, route_box])
        cancel_delete.click(lambda: gr.Row(visible=False), outputs=confirm_row)
        confirm_delete.click(
            delete_current,
            inputs=thread_state,
            outputs=[thread_state, chatbot, route_box, thread_list, confirm_row],
        )
        thread_list.input(
            reopen, inputs=[thread_list, thread_state], outputs=[thread_state, chatbot, route_box]
        )
        demo.load(load, inputs=thread_state, outputs=[thread_state, chatbot, thread_list])
        demo.load(welcome_now, outputs=chatbot, api_visibility="private")

        # --- feedback and sources ----------------------------------------------------------

        def rate(
            messages: list[Any], thread_id: str | None, like: gr.LikeData, request: gr.Request
        ) -> tuple[Any, ...]:
            return feedback.on_like(engine, messages, thread_id, like, request)

        def explain(
            answer_id: str | None, why: str, plugin: str | None, request: gr.Request
        ) -> tuple[Any, ...]:
            return feedback.submit(engine, answer_id, why, plugin, request)

        chatbot.like(
            rate, inputs=[chatbot, thread_state], outputs=[rated, feedback_form, feedback_note]
        )
        send_feedback.click(
            explain,
            inputs=[rated, reason, should],
            outputs=[feedback_form, reason, should, feedback_note],
        )

        def open_source(ref: str, thread_id: str | None, request: gr.Request) -> tuple[Any, ...]:
            panel = sources.panel_html(engine, ref, thread_id, owner_of(request))
            return panel, gr.update(visible=bool(panel))

        source_ref.change(
            open_source, inputs=[source_ref, thread_state], outputs=[source_panel, source_col]
        )
        close_source.click(
            lambda: ("", gr.update(visible=False)), outputs=[source_panel, source_col]
        )

        # --- plugins ---------------------------------------------------------------------

        # Ingests run in the background (engine.jobs); the tab polls them while they run, so
        # an upload never holds a request, or anyone's answers, for the minutes it may take.

        def do_ingest(name: str | None, note: str = "") -> tuple[Any, ...]:
            if not name:
                return (
                    tabs.plugins_table(engine),
                    "Choose a plugin first.",
                    "",
                    gr.Timer(active=False),
                )
            job = engine.jobs.start(name)
            return (
                tabs.plugins_table(engine),
                f"{note}{job.describe()}",
                note,
                gr.Timer(active=True),
            )

        def do_upload(name: str | None, files: list[str] | None, replace: bool) -> tuple[Any, ...]:
            if not name or not files:
                return (
                    tabs.plugins_table(engine),
                    "Choose a plugin and files.",
                    "",
                    None,
                    gr.Timer(),
                )
            notes = []
            try:
                for path in uploaded_files(files):
                    data = path.read_bytes()
                    notes.append(engine.add_document(name, path.name, data, replace).note)
            except FrontdeskError as exc:
                return tabs.plugins_table(engine), f"Error: {exc}", "", None, gr.Timer(active=False)
            note = f"Added {len(notes)} file(s) ({'; '.join(notes)}). "
            table_, status, note, timer = do_ingest(name, note)
            return table_, status, note, None, timer

        def poll(name: str | None, note: str) -> tuple[Any, ...]:
            job = engine.jobs.get(name) if name else None
            if job is None:
                return gr.update(), gr.update(), gr.Timer(active=False)
            if job.running:
                return gr.update(), f"{note}{job.describe()}", gr.Timer(active=True)
            return tabs.plugins_table(engine), f"{note}{job.describe()}", gr.Timer(active=False)

        reingest.click(
            do_ingest, inputs=target, outputs=[table, plugin_status, upload_note, ticker]
        )
        upload.upload(
            do_upload,
            inputs=[target, upload, replace_box],
            outputs=[table, plugin_status, upload_note, upload, ticker],
        )
        ticker.tick(poll, inputs=[target, upload_note], outputs=[table, plugin_status, ticker])
        # Filled when opened: the chat (and its Earlier chats) loads without waiting for them.
        plugins_tab.select(lambda: tabs.plugins_table(engine), outputs=table)

        # --- stats -----------------------------------------------------------------------

        def show_stats(which: str) -> tuple[str, str]:
            return tabs.stats_views(engine, which)

        stat_outputs = [summary, figures]
        refresh.click(show_stats, inputs=scope, outputs=stat_outputs)
        scope.change(show_stats, inputs=scope, outputs=stat_outputs)
        stats_tab.select(show_stats, inputs=scope, outputs=stat_outputs)
        # A page loaded after a plugin reload (frontdesk.reload) offers the plugins it added
        # and none it removed: pickers, the feedback form.
        demo.load(
            lambda t: tabs.plugin_choices(engine, t),
            inputs=target,
            outputs=[picker, target, should],
        )

    return demo
