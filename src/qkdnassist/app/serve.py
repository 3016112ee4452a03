"""Serving: one FastAPI app on one port — the Gradio web app at ``/``, the
OpenAI-compatible API at ``/v1``, MCP over streamable HTTP at ``/mcp``, FastAPI's
OpenAPI page at ``/docs`` — run by uvicorn, with the first ingest in the background.

The corpus folder is the only folder the server serves files from. All three surfaces
share one assistant (:class:`~.state.AppState`), so they answer alike. This module wires
and launches; it decides nothing.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from ..answer import Assistant
from ..config import Settings
from ..errors import ConfigError
from .state import AppState

__all__ = ["Served", "build_app", "serve"]


def build_app(settings: Settings, *, assistant: Assistant | None = None, host: str = "127.0.0.1") -> Any:
    """The FastAPI app: ``/v1`` and ``/mcp`` behind :class:`~.guard.ApiGuard`, the Gradio UI at ``/``.

    ``app.state.qkdn`` is the shared :class:`~.state.AppState`.
    """
    import gradio as gr
    from fastapi import FastAPI

    from .. import __version__
    from ..access import Authenticator
    from ..config import auth_users
    from .guard import ApiGuard
    from .mcp_server import build_mcp
    from .openai_api import api_router, openai_errors
    from .service import Service
    from .ui import build_ui

    auth = Authenticator(settings)
    # With a users file, the web app lets in only admins of every collection: it does
    # not filter by collection or check roles yet (the API and MCP do).
    login: Any = auth.web_login if auth.has_users else (auth_users(settings) or None)
    blocks = build_ui(settings, assistant=assistant)
    state: AppState = blocks.qkdn_state
    service = Service(settings, state.assistant)
    mcp = build_mcp(service, auth)
    mcp_routes = mcp.streamable_http_app(streamable_http_path="/mcp", host=host).routes

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        async with mcp.session_manager.run():
            yield

    app = FastAPI(
        title="qkdnassist",
        version=__version__,
        description="Cited answers over QKD network standards: an OpenAI-compatible API (`/v1`), "
        "MCP over streamable HTTP (`/mcp`) and the web app (`/`).",
        lifespan=lifespan,
    )
    app.state.qkdn = state
    app.state.login = auth.describe()
    app.include_router(api_router(service))
    openai_errors(app)
    app.router.routes.extend(mcp_routes)
    app.add_middleware(ApiGuard, settings=settings)
    blocks.queue(default_concurrency_limit=4)
    settings.corpus.mkdir(parents=True, exist_ok=True)
    gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        auth=login,
        allowed_paths=[str(settings.corpus.resolve())],
        max_file_size=f"{settings.upload_mb}mb",
        show_error=True,
    )
    return app


@dataclass
class Served:
    """A server started with ``block=False``: its URL, the app's shared state, and ``close()``."""

    url: str
    qkdn_state: AppState
    server: Any
    thread: threading.Thread

    def close(self) -> None:
        """Stop the server and wait for it."""
        self.server.should_exit = True
        self.thread.join(timeout=30)


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    block: bool = True,
    assistant: Assistant | None = None,
) -> Any:
    """Build the app and serve it (until interrupted when ``block``; else return a :class:`Served`);
    over ``assistant`` when given (benchmarks, tests), else one from ``settings``.

    The corpus folder is ingested in the background (incrementally: a second or so
    when nothing changed) while the app is already usable; the status line shows the
    progress, so a first start on an empty index serves at once and fills up.

    Raises:
        ConfigError: the server did not start (the port is taken, …).
    """
    import uvicorn

    app = build_app(settings, assistant=assistant, host=host)
    state: AppState = app.state.qkdn
    if settings.corpus.is_dir() and any(settings.corpus.iterdir()):
        state.ingest_in_background()
    config = uvicorn.Config(app, host=host, port=port, log_level="info" if block else "warning")
    server = uvicorn.Server(config)
    if block:
        print(f"qkdnassist: serving http://{host}:{port} (API /v1, MCP /mcp, API docs /docs)", flush=True)
        print(f"qkdnassist: {app.state.login}", flush=True)
        server.run()
        return 0
    thread = threading.Thread(target=server.run, name="qkdnassist-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:  # uvicorn sets it once the socket listens
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ConfigError(f"the server did not start on {host}:{port}")
        time.sleep(0.05)
    return Served(f"http://{host}:{port}", state, server, thread)
