"""Answering questions: retrieval → evidence → (optionally) a language model → checked
citations, or an honest abstention.

:class:`Assistant` is the one entry point the command line, the web app and the
workflows use. Without a language model it answers in *evidence mode*: the best
sentences of the top passages, quoted verbatim and cited (see :mod:`.evidence`). With
one, it runs the LangChain chain of :mod:`.chain` and checks every citation the model
writes. In both modes the same calibrated gate (:mod:`.abstain`) decides first whether
the corpus covers the question at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from .abstain import THRESHOLD, confidence, signals
from .citations import QuoteLocator, format_citation, passage_citation
from .config import Settings
from .evidence import QueryTerms, quote_hits, render_evidence, select_quotes
from .keyword import is_stopword, tokenize
from .retrieve import Searcher, parse_refs
from .types import Answer, Hit

__all__ = ["Assistant", "Filters", "History", "standalone_query"]

History = Sequence[tuple[str, str]] | Sequence[Mapping[str, Any]]

MAX_QUESTION_CHARS = 4000  # a question, not a document (drafts go to the coverage check)
_ANAPHORA = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|there|same|former|latter)\b", re.I)


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to one body and/or one document (names as in ``qkdnassist docs``),
    and leave out documents by doc_id (a liaison reply must not quote the incoming LS)."""

    body: str | None = None
    doc: str | None = None
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, value: Filters | Mapping[str, Any] | None) -> Filters:
        if value is None:
            return cls()
        if isinstance(value, Filters):
            return value
        unknown = set(value) - {"body", "doc", "exclude"}
        if unknown:
            raise ValueError(f"unknown filter(s): {', '.join(sorted(unknown))} (use body, doc, exclude)")
        return cls(value.get("body") or None, value.get("doc") or None, tuple(value.get("exclude") or ()))


def turns(history: History) -> list[tuple[str, str]]:
    """(question, answer) pairs from either pairs or chat messages (``{"role", "content"}``)."""
    pairs: list[tuple[str, str]] = []
    question: str | None = None
    for item in history:
        if isinstance(item, Mapping):
            role, text = item.get("role"), _message_text(item.get("content"))
            if role == "user":
                question = text
            elif role == "assistant" and question is not None:
                pairs.append((question, text))
                question = None
        else:
            pairs.append((str(item[0]), str(item[1])))
    return pairs


def _message_text(content: Any) -> str:
    """The text of a chat message's content: a string, or a list of parts (Gradio 6)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") if isinstance(p, Mapping) else str(p) for p in content)
    return ""


def _content_words(text: str) -> list[str]:
    return [t for t in tokenize(text, pairs=False) if not is_stopword(t)]


def standalone_query(question: str, history: History, documents: Sequence[Any] = ()) -> str:
    """A retrieval query for a follow-up question, without a language model.

    A question that refers back ("its key size?", "and in GSMA PQ.03?") or is too short
    to stand alone is searched together with the previous question; a self-contained
    question is searched as it is.
    """
    pairs = turns(history)
    if not pairs:
        return question
    previous = pairs[-1][0]
    words = _content_words(question)
    names_document = bool(parse_refs(question, documents).doc_ids) if documents else False
    if len(words) >= 6 and not _ANAPHORA.search(question):
        return question
    if names_document and len(words) >= 4 and not _ANAPHORA.search(question):
        return question
    return f"{question} {previous}"


class Assistant:
    """Answers questions over one index.

    Args:
        searcher: hybrid search over the index.
        llm: a LangChain chat model, or None for evidence mode.
        settings: the settings the model was built from (names it in error messages).
        k: passages retrieved per question.
        threshold: confidence below which the assistant abstains.
        context_tokens: token budget of the sources given to the language model.
    """

    def __init__(
        self,
        searcher: Searcher,
        *,
        llm: Any = None,
        settings: Settings | None = None,
        k: int = 8,
        threshold: float = THRESHOLD,
        context_tokens: int = 1800,
    ) -> None:
        self.searcher = searcher
        self.llm = llm
        self.settings = settings or Settings()
        self.k = k
        self.threshold = threshold
        self.context_tokens = context_tokens
        self.locator = QuoteLocator(searcher.index)

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        """An assistant over the configured index, with the configured language model.

        Raises:
            QkdnError: the index is missing or empty, or the model cannot be set up.
        """
        from .llm import chat_model

        return cls(
            Searcher.open(settings),
            llm=chat_model(settings),
            settings=settings,
            context_tokens=settings.llm_context,
        )

    def llm_errors(self) -> AbstractContextManager[None]:
        """Context in which a language-model failure becomes one clear LLMError."""
        from .llm import llm_errors

        return llm_errors(self.settings)

    def word_pieces(self, word: str) -> int:
        """How many word pieces the embedder's vocabulary needs for ``word``."""
        return self.searcher.embedder.count_tokens(word) - 2  # [CLS] and [SEP]

    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "evidence"

    def ask(
        self, question: str, history: History = (), *, filters: Filters | Mapping[str, Any] | None = None
    ) -> Answer:
        """Answer ``question`` (a follow-up of ``history`` when given).

        Raises:
            QkdnError: the question is empty, a filter names nothing indexed, or the
                language model fails.
        """
        answer = None
        for event in self.stream(question, history, filters=filters):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def stream(
        self, question: str, history: History = (), *, filters: Filters | Mapping[str, Any] | None = None
    ) -> Iterator[str | Answer]:
        """Like :meth:`ask`, but yields the answer text in pieces as it is produced,
        then the finished :class:`~qkdnassist.types.Answer` (whose text may differ from
        the streamed pieces: unsupported sentences are flagged after checking)."""
        from .errors import QkdnError

        question = " ".join(question.split())
        if not question:
            raise QkdnError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise QkdnError(f"the question is longer than {MAX_QUESTION_CHARS:,} characters; ask something shorter")
        chosen = Filters.of(filters)
        query = self._standalone(question, history)
        hits = self.searcher.search(query, self.k, body=chosen.body, doc=chosen.doc, exclude=chosen.exclude)
        terms = QueryTerms.of(query, self.searcher.keyword_index(), self.word_pieces)
        quotes = select_quotes(terms, hits)
        certainty = confidence(signals(terms, hits, quotes))
        if not hits or certainty < self.threshold:
            answer = self._abstain(question, query, hits, certainty)
            yield answer.text
            yield answer
            return
        if self.llm is None:
            yield from self._evidence(question, query, hits, quotes, certainty)
        else:
            from .chain import llm_answer

            yield from llm_answer(self, question, query, hits, certainty)

    def _standalone(self, question: str, history: History) -> str:
        if not history:
            return question
        if self.llm is not None:
            from .chain import condense

            with self.llm_errors():
                condensed = condense(self.llm, question, turns(history))
            if condensed:
                return condensed
        return standalone_query(question, history, self.searcher.documents())

    def records(self) -> dict[str, Any]:
        return {r.source: r for r in self.searcher.documents()}

    def _evidence(
        self, question: str, query: str, hits: list[Hit], quotes: list[Any], certainty: float
    ) -> Iterator[str | Answer]:
        located = quote_hits(quotes, self.locator, self.records())
        if not located:
            answer = self._abstain(question, query, hits, certainty)
            yield answer.text
            yield answer
            return
        text, statements = render_evidence(located)
        yield from text.splitlines(keepends=True)
        yield Answer(
            question=question,
            query=query,
            text=text,
            citations=tuple(c for _, c in located),
            abstained=False,
            mode="evidence",
            hits=tuple(hits),
            statements=tuple(statements),
            confidence=round(certainty, 4),
        )

    def _abstain(self, question: str, query: str, hits: list[Hit], certainty: float) -> Answer:
        lines = ["The indexed documents do not appear to cover this question."]
        records = self.records()
        if hits:
            lines.append("")
            lines.append("Nearest passages (they may not answer it):")
            for hit in hits[:3]:
                where = format_citation(passage_citation(hit.chunk, records.get(hit.chunk.source)))
                snippet = " ".join(hit.chunk.text.split())
                lines.append(f"- {where}: “{snippet[:200]}{'…' if len(snippet) > 200 else ''}”")
        return Answer(
            question=question,
            query=query,
            text="\n".join(lines),
            citations=(),
            abstained=True,
            mode=self.mode,
            hits=tuple(hits),
            confidence=round(certainty, 4),
        )
