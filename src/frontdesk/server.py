"""`frontdesk serve`: one FastAPI app with the bot API and the web chat on the same port."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse

from frontdesk.api import APIError, build_api, install_error_handlers
from frontdesk.engine import Engine
from frontdesk.errors import InputError
from frontdesk.limits import BodyLimit
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


def build_app(engine: Engine, with_ui: bool = True) -> FastAPI:
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported
    app = FastAPI(title="frontdesk", version="0.1.0")
    # Bodies counted as they arrive; the request log outermost, so it sees every status.
    app.add_middleware(BodyLimit, settings=engine.settings)
    app.add_middleware(RequestLog)
    install_error_handlers(app)
    app.include_router(build_api(engine))

    @app.get("/source/{plugin}/{name:path}")
    async def source(plugin: str, name: str) -> FileResponse:
        """A cited knowledge file, served only from inside that plugin's knowledge folders."""
        if plugin not in engine.plugins:
            raise APIError(404, f"unknown plugin '{plugin}'", "invalid_request_error", "not_found")
        for folder in engine.plugins[plugin].knowledge_dirs():
            root = folder.resolve()
            target = (root / name).resolve()
            if target.is_relative_to(root) and target.is_file() and not name.startswith("."):
                return FileResponse(target)
        raise APIError(
            404, f"no source '{name}' in plugin '{plugin}'", "invalid_request_error", "not_found"
        )

    if with_ui:
        import gradio as gr
        from frontdesk_ui.app import CSS, build_ui

        keys = engine.settings.api_key_set
        auth = (lambda user, password: password in keys) if keys else None
        app = gr.mount_gradio_app(
            app,
            build_ui(engine),
            path="/",
            auth=auth,
            auth_message="Sign in with any user name and one of the server's API keys."
            if keys
            else None,
            allowed_paths=[],
            blocked_paths=[str(engine.settings.home), str(Path.home())],
            show_error=False,
            theme=gr.themes.Soft(),
            css=CSS,
            max_file_size=engine.settings.upload_max_bytes,
            footer_links=["api"],
        )
    return app


def serve(host: str, port: int, allow_public: bool = False) -> None:
    settings = Settings()
    if not is_loopback(host) and not settings.api_key_set and not allow_public:
        raise InputError(
            f"refusing to listen on {host} without FRONTDESK_API_KEYS: set keys, or pass "
            "--allow-public to expose an unauthenticated server"
        )
    import uvicorn

    configure_logging(settings.log_level)
    engine = Engine(settings)
    app = build_app(engine)
    print(f"frontdesk: web chat and API on http://{host}:{port}/  (API: /v1)", flush=True)
    uvicorn.run(  # no access log: RequestLog writes one line per request instead
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
