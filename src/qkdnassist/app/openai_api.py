"""The OpenAI-compatible API: ``GET /v1/models`` and ``POST /v1/chat/completions``, so
chat front ends that speak the OpenAI API (Open WebUI, LibreChat, the ``openai`` client)
can ask qkdnassist.

The last user message is the question; the messages before it are the conversation, so
a follow-up is answered as one (the way the web app's chat does). The reply is the
answer with its ``[n]`` markers and a references block; the message's ``citations``
field carries the citations as ``qkdnassist ask --json`` writes them. A streamed reply
(``stream: true``) is sent once the answer is checked — qkdnassist checks every
sentence before it shows one — as SSE chunks, then ``data: [DONE]``.

This module holds no rules: the :class:`~.service.Service` answers, :mod:`.render` writes
every shape. Errors are OpenAI-shaped (``{"error": {"message", "type", "code"}}``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ..errors import QkdnError
from .render import MODEL, chat_chunks, chat_completion_json, error_json, models_json
from .service import Service

__all__ = ["ChatRequest", "api_router", "openai_errors"]


class ChatMessage(BaseModel):
    """One message of the conversation (OpenAI's shape; other fields are ignored)."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """``POST /v1/chat/completions``. Sampling fields (temperature, …) are accepted and
    ignored; ``body``, ``doc`` and ``edition`` are qkdnassist's filters, as in ``ask``."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    body: str | None = None
    doc: str | None = None
    edition: str | None = None


def _error(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse(error_json(message, code), status_code=status)


def _conversation(request: ChatRequest) -> tuple[str, list[dict[str, Any]]]:
    """The question (the last message, a user's) and the turns before it."""
    last = request.messages[-1]
    if last.role != "user":
        raise ValueError("the last message must be the user's question")
    history = [m.model_dump() for m in request.messages[:-1] if m.role in ("user", "assistant")]
    content = last.content
    if isinstance(content, list):
        content = " ".join(str(part.get("text", "")) for part in content if part.get("type", "text") == "text")
    return content or "", history


def openai_errors(app: Any) -> None:
    """Request bodies that do not validate get a 400 in OpenAI's error shape (not FastAPI's 422)."""
    from fastapi.exceptions import RequestValidationError

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}" for e in errors)
        return _error(400, f"invalid request: {where or exc}", "invalid_request")

    app.add_exception_handler(RequestValidationError, invalid)


def api_router(service: Service) -> APIRouter:
    """The ``/v1`` routes over ``service``."""
    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible API"])
    started = int(time.time())

    @router.get("/models", summary="The models served: one, qkdnassist")
    def models() -> dict[str, Any]:
        return models_json(started)

    @router.post("/chat/completions", summary="A cited answer to the last user message", response_model=None)
    def chat_completions(request: ChatRequest, http: Request) -> Any:
        if request.model != MODEL:
            return _error(
                404, f"the model {request.model!r} does not exist; this server serves {MODEL!r}", "model_not_found"
            )
        try:
            question, history = _conversation(request)
        except ValueError as exc:
            return _error(400, str(exc), "invalid_messages")
        filters = {"body": request.body, "doc": request.doc, "edition": request.edition}
        try:
            # the user the bearer token names (ApiGuard): the answer sees only its collections
            answer = service.as_user(getattr(http.state, "principal", None)).ask(question, history, filters=filters)
        except QkdnError as exc:
            return _error(400, str(exc), type(exc).__name__)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if not request.stream:
            return chat_completion_json(answer, completion_id, created)

        def events() -> Iterator[str]:
            for chunk in chat_chunks(answer, completion_id, created):
                yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    return router
