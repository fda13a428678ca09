"""`frontdesk serve`: one FastAPI app with the bot API and the web chat on the same port."""

from __future__ import annotations

import asyncio
import ipaddress
import os
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, Response

from frontdesk.admin_api import build_admin_api
from frontdesk.api import APIError, build_api, install_error_handlers
from frontdesk.auth import AccessMiddleware, Gatekeeper, gradio_user
from frontdesk.doc_text import stored_text
from frontdesk.engine import Engine
from frontdesk.errors import InputError
from frontdesk.limits import BodyLimit
from frontdesk.replica_sync import replica_lifespan
from frontdesk.request_log import RequestLog
from frontdesk.request_log import configure as configure_logging
from frontdesk.settings import Settings


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# The web chat's pages: scripts and styles only from this origin (Gradio inlines some), images
# only from here or data: URLs, so a remote image in an answer is never fetched (no tracking
# pixels), and nothing may frame the app.
APP_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# A knowledge document is shown as inert text in a sandbox: no script of it runs on our origin.
SOURCE_CSP = "default-src 'none'; sandbox"
TEXT_SUFFIXES = {".md", ".txt", ".html", ".htm"}


def source_response(path: Path, text: str | None = None) -> Response:
    """A knowledge file as the browser may see it: text as text/plain (HTML included, so a
    planted script is shown, not run), PDF as a download; never sniffed, always sandboxed.
    `text` (the store's copy, on a replica without the file) is always shown as text."""
    headers = {"Content-Security-Policy": SOURCE_CSP, "X-Content-Type-Options": "nosniff"}
    if text is not None or path.suffix.lower() in TEXT_SUFFIXES:
        if text is None:
            text = path.read_bytes().decode("utf-8", errors="replace")
        disposition = f"inline; filename*=UTF-8''{quote(path.name)}"
        return Response(
            text,
            media_type="text/plain; charset=utf-8",
            headers={**headers, "Content-Disposition": disposition},
        )
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=path.name,
        content_disposition_type="attachment",
        headers=headers,
    )


def knowledge_file(engine: Engine, plugin: str, name: str) -> Path | None:
    """The file of an ingested document of `plugin` named `name` (as citations give it), if it
    is in the manifest and inside the plugin's knowledge; None for anything else."""
    if plugin not in engine.plugins or any(p.startswith(".") for p in Path(name).parts):
        return None
    path = engine.store.document_path(plugin, name)
    if path is None:
        return None
    target = path.resolve()
    roots = [folder.resolve() for folder in engine.plugins[plugin].knowledge_dirs()]
    inside = any(target.is_relative_to(root) for root in roots) or target in {
        f.resolve() for f in engine.plugins[plugin].knowledge_files()
    }
    return target if inside and target.is_file() else None


def build_app(engine: Engine, with_ui: bool = True) -> FastAPI:
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported
    app = FastAPI(title="frontdesk", version="0.1.0", lifespan=replica_lifespan(engine))
    install_error_handlers(app)
    app.include_router(build_admin_api(engine))  # before the API's catch-all for /v1/...
    app.include_router(build_api(engine))
    # From the outside in (the last added runs first): the request log, so it sees every
    # status; the access checks, before any body is read; an empty CORS policy, so no other
    # origin may read our responses (Gradio would otherwise add its own, allowing localhost
    # origins); bodies counted as they arrive.
    app.add_middleware(BodyLimit, settings=engine.settings)
    app.add_middleware(CORSMiddleware, allow_origins=[])
    app.add_middleware(AccessMiddleware, gate=Gatekeeper(engine.settings), csp=APP_CSP)
    app.add_middleware(RequestLog)

    @app.get("/source/{plugin}/{name:path}")
    async def source(plugin: str, name: str) -> Response:
        """An ingested knowledge document of that plugin, by the name its citations give."""
        missing = APIError(
            404, f"no document '{name}' in plugin '{plugin}'", "invalid_request_error", "not_found"
        )
        if plugin not in engine.plugins or any(p.startswith(".") for p in Path(name).parts):
            raise missing
        if engine.settings.chroma_url:  # replicas: the store's copy, not this machine's disk
            text = await asyncio.to_thread(stored_text, engine.store, plugin, name)
            if text is None:
                raise missing
            return source_response(Path(name), text)
        target = await asyncio.to_thread(knowledge_file, engine, plugin, name)
        if target is None:
            raise missing
        return source_response(target)

    if with_ui:
        import frontdesk_ui
        import gradio as gr
        from frontdesk_ui.app import CSS, HEAD, SCRIPT, build_ui

        @app.get(SCRIPT)
        async def chat_script() -> Response:
            """The web chat's one script, a file of our origin (the CSP allows no eval)."""
            return FileResponse(
                Path(frontdesk_ui.__file__).parent / "static" / "frontdesk.js",
                media_type="text/javascript",
            )

        blocks = build_ui(engine)
        app = gr.mount_gradio_app(
            app,
            blocks,
            path="/",
            auth_dependency=gradio_user,  # AccessMiddleware decided; Gradio learns the owner
            allowed_paths=[],
            blocked_paths=[str(engine.settings.home), str(Path.home()), "/etc", "/proc", "/sys"],
            show_error=False,
            theme=gr.themes.Soft(),
            css=CSS,
            head=HEAD,
            max_file_size=engine.settings.upload_max_bytes,
            footer_links=["api"],
            run_history=False,
        )
        # Gradio checks that a file named in a request was uploaded (and not, say, /etc/passwd)
        # only once `launch()` has set `has_launched`; mounting never sets it, which let any
        # caller have server files copied into Gradio's cache and served. We are launched.
        blocks.has_launched = True
    return app


def serve(host: str, port: int, allow_public: bool = False) -> None:
    settings = Settings()
    if not is_loopback(host) and not settings.api_key_set and not allow_public:
        raise InputError(
            f"refusing to listen on {host} without FRONTDESK_API_KEYS: set keys, or pass "
            "--allow-public to expose an unauthenticated server"
        )
    if allow_public and not settings.api_key_set and not settings.allowed_hosts:
        # Explicitly public and keyless: the loopback-only Host check would refuse every
        # remote client. FRONTDESK_ALLOWED_HOSTS narrows it down again.
        settings = settings.model_copy(update={"allowed_hosts": "*"})
    import uvicorn

    configure_logging(settings.log_level)
    engine = Engine(settings)
    app = build_app(engine)
    print(f"frontdesk: web chat and API on http://{host}:{port}/  (API: /v1)", flush=True)
    watcher = None
    if settings.plugin_poll_seconds > 0:  # hot reload of plugin folders (reload.py)
        from frontdesk.reload import PluginWatcher

        watcher = PluginWatcher(engine, settings.plugin_poll_seconds).start()
    if settings.warmup:  # knowledge sentences embedded before the first questions need them
        from frontdesk.warmup import Warmer

        Warmer(engine).start()
    try:
        uvicorn.run(  # no access log: RequestLog writes one line per request instead
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
    finally:
        if watcher is not None:
            watcher.stop()
