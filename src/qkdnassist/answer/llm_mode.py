"""LLM mode: the LangChain retrieval chain (prompt → chat model → text).

Sources are numbered passages within a token budget (:mod:`.sources`); the model
answers with ``[n]`` markers and every sentence is then checked (:mod:`.checking`).
A follow-up is condensed by the model into a stand-alone question. Framework types
(LangChain prompts, runnables) stay in this module and :mod:`.prompts`.

This module does not retrieve or decide whether to answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from ..search.quotes import QuoteLocator
from ..types import Answer, DocumentRecord, Hit
from .checking import check_answer
from .prompts import BROAD, CONDENSE, answer_prompt, escape
from .sources import build_sources, format_sources

__all__ = ["condense", "llm_answer"]


def condense(llm: Any, question: str, pairs: Sequence[tuple[str, str]]) -> str | None:
    """A stand-alone version of a follow-up question, written by the model; None when
    its reply is unusable (empty, or too long to be one question)."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    messages: list[tuple[str, str]] = [("system", CONDENSE)]
    for asked, answered in pairs[-3:]:
        messages.append(("human", escape(asked)))
        messages.append(("ai", escape(answered[:400])))
    messages.append(("human", escape(question)))
    chain = ChatPromptTemplate.from_messages(messages) | llm | StrOutputParser()
    reply = chain.invoke({}).strip()
    line = reply.splitlines()[0].strip().strip('"“”') if reply else ""
    # A usable rewrite is one question about as long as what it merges; small models
    # sometimes answer or echo the conversation instead.
    limit = len(question.split()) + len(pairs[-1][0].split()) + 8 if pairs else 60
    if not line or "[" in line or len(line.split()) > limit or not line.endswith("?"):
        return None
    return line


def llm_answer(
    llm: Any,
    question: str,
    query: str,
    hits: Sequence[Hit],
    *,
    locator: QuoteLocator,
    records: dict[str, DocumentRecord],
    context_tokens: int,
    errors: AbstractContextManager[None],
    broad: bool = False,
    certainty: float = 0.0,
) -> Iterator[str | Answer]:
    """Run the chain on ``hits`` (already chosen: for a broad question, spread over
    documents): stream the model's text, then yield the checked
    :class:`~qkdnassist.types.Answer`.

    Args:
        errors: the context in which a backend failure becomes one clear error.
        broad: the question asks across bodies; the model is told to answer per document.
    """
    from langchain_core.output_parsers import StrOutputParser

    sources = build_sources(hits, context_tokens)
    chain = answer_prompt() | llm | StrOutputParser()
    asked = f"{query}\n\n{BROAD}" if broad else query
    pieces: list[str] = []
    with errors:
        for piece in chain.stream({"sources": format_sources(sources), "question": asked}):
            pieces.append(piece)
            yield piece
    checked = check_answer("".join(pieces), sources, locator, records)
    abstained = checked.declined or not checked.statements
    text = checked.text or "The documents do not cover this."
    if abstained:
        text = "The language model found no answer in the retrieved passages: " + text
    yield Answer(
        question=question,
        query=query,
        text=text,
        citations=checked.citations,
        abstained=abstained,
        mode="llm",
        hits=tuple(hits),
        statements=checked.statements,
        confidence=round(certainty, 4),
        notes=checked.notes,
    )
