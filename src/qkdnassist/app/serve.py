"""Serving the web app: build it, start the first ingest in the background, launch.

The corpus folder is the only folder the server serves files from.
"""

from __future__ import annotations

from typing import Any

from ..config import Settings

__all__ = ["serve"]


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 7860, block: bool = True) -> Any:
    """Build the web app and serve it (until interrupted when ``block``; else return it).

    The corpus folder is ingested in the background (incrementally: a second or so
    when nothing changed) while the app is already usable; the status line shows the
    progress, so a first start on an empty index serves at once and fills up.
    """
    from ..config import auth_users
    from .ui import build_ui

    users = auth_users(settings)
    app = build_ui(settings)
    state = app.qkdn_state
    if settings.corpus.is_dir() and any(settings.corpus.iterdir()):
        state.ingest_in_background()
    app.queue(default_concurrency_limit=4)
    settings.corpus.mkdir(parents=True, exist_ok=True)
    app.launch(
        server_name=host,
        server_port=port,
        show_error=True,
        auth=users or None,
        allowed_paths=[str(settings.corpus.resolve())],
        max_file_size=f"{settings.upload_mb}mb",
        prevent_thread_lock=not block,
        quiet=not block,
    )
    return 0 if block else app
