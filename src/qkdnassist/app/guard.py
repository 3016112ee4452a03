"""The gate in front of the programmatic routes (``/v1``, ``/mcp``): a bearer token when
the server has a log-in (the :class:`~..access.Principal` it names is put in the
request's ``state["principal"]``), the request size limit and the per-client rate limit.

A plain ASGI middleware, so streamed replies (SSE) pass through untouched. The rules it
applies come from :mod:`..limits` and :mod:`..config`; it holds none of its own. It does
not guard the web app's own pages: Gradio's log-in does.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ..access import Authenticator
from ..config import Settings
from ..limits import API_BODY_BYTES, API_RATE_WINDOW

__all__ = ["ApiGuard", "RateLimiter"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RateLimiter:
    """At most ``rate`` requests per client in any ``window`` seconds (0 = no limit)."""

    def __init__(self, rate: int, window: float = API_RATE_WINDOW) -> None:
        self.rate = rate
        self.window = window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """0.0 when ``client`` may make a request now (and counts it), else the seconds to wait."""
        if not self.rate:
            return 0.0
        now = time.monotonic()
        with self._lock:
            times = self._seen.setdefault(client, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.rate:
                return times[0] + self.window - now
            times.append(now)
            return 0.0


class ApiGuard:
    """ASGI middleware: requests under ``prefixes`` must carry a valid bearer token when
    ``QKDN_AUTH`` is set (401 otherwise), a body of at most ``API_BODY_BYTES`` (413) and
    stay within ``QKDN_API_RATE`` per client (429 with ``Retry-After``)."""

    def __init__(self, app: ASGIApp, settings: Settings, prefixes: tuple[str, ...] = ("/v1", "/mcp")) -> None:
        self.app = app
        self.settings = settings
        self.prefixes = prefixes
        self.auth = Authenticator(settings)
        self.limiter = RateLimiter(settings.api_rate)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not any(path == p or path.startswith(p + "/") for p in self.prefixes):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = headers.get("authorization", "")
        token = token[7:].strip() if token[:7].lower() == "bearer " else ""
        principal = self.auth.from_token(token) if self.auth.required else None
        # A user's requests count against the user; anonymous ones and failed log-ins
        # against the address, so guessing tokens is rate-limited too.
        wait = self.limiter.allow(principal.name if principal else (scope.get("client") or ("?", 0))[0])
        if wait:
            retry = str(max(1, round(wait)))
            await _refuse(send, 429, f"too many requests; try again in {retry} s", "rate_limit_exceeded", retry)
            return
        if self.auth.required and principal is None:
            await _refuse(send, 401, "a valid API token is needed (Authorization: Bearer …)", "invalid_api_key")
            return
        scope.setdefault("state", {})["principal"] = principal
        if headers.get("content-length", "").isdigit() and int(headers["content-length"]) > API_BODY_BYTES:
            await _refuse(send, 413, f"the request is larger than {API_BODY_BYTES // 1024} KiB", "request_too_large")
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > API_BODY_BYTES:
                await _refuse(
                    send, 413, f"the request is larger than {API_BODY_BYTES // 1024} KiB", "request_too_large"
                )
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, message: str, code: str, retry_after: str = "") -> None:
    """An error in the OpenAI API's shape (MCP clients read the status)."""
    from .render import error_json

    payload = json.dumps(error_json(message, code)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    if retry_after:
        headers.append((b"retry-after", retry_after.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
