"""Answering questions: retrieval → scored statements → an answer that opens with the
fact asked for, cited — or an honest abstention.

:class:`Assistant` is the one entry point the command line, the web app and the
workflows use. A question is read for what it asks (:mod:`.qtypes`): one fact, or the
landscape across bodies (:mod:`.broad`, answered document by document). Its evidence
is scored statement by statement (:mod:`.analysis`), and the calibrated gate decides
whether the documents answer it at all. Without a language model the answer is the
best statement first, value in bold, then a few supporting ones (*evidence mode*,
:mod:`.evidence`); with one, the LangChain chain of :mod:`.llm_mode` writes it from
the same passages and every sentence is checked.

This module holds no scoring rules of its own and does not know a model backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

import numpy as np

from ..citations import format_citation, passage_citation
from ..config import Settings
from ..errors import QuestionError
from ..limits import MAX_QUESTION_CHARS
from ..search.quotes import QuoteLocator
from ..search.refs import document_mentions, document_words, foreign_documents, parse_refs, same_word
from ..search.retrieve import Searcher
from ..textnorm import is_stopword, tokenize
from ..types import Answer, Chunk, DocumentRecord, Hit
from .analysis import Analysis, analyse
from .broad import per_document, render_broad, spans_bodies, spread
from .calibration import Calibration, calibration
from .compose import render
from .evidence import choose, locate
from .features import NARROW
from .filters import Filters
from .qtypes import question_type
from .query import proper_names

__all__ = ["MAX_QUESTION_CHARS", "Assistant", "Filters", "History", "standalone_query", "turns"]

History = Sequence[tuple[str, str]] | Sequence[Mapping[str, Any]]

_ANAPHORA = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|there|same|former|latter)\b", re.I)
_BROAD_PER_DOCUMENT = 2  # passages examined per document for a broad question


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
        k: passages retrieved per fact question.
        calibration: the fitted models (default: the shipped ``calibration.json``).
        threshold: confidence below which the assistant abstains (default: the
            calibration's).
        context_tokens: token budget of the sources given to the language model.
    """

    def __init__(
        self,
        searcher: Searcher,
        *,
        llm: Any = None,
        settings: Settings | None = None,
        k: int = 12,
        calibration: Calibration | None = None,
        threshold: float | None = None,
        context_tokens: int = 1800,
    ) -> None:
        self.searcher = searcher
        self.llm = llm
        self.settings = settings or Settings()
        self.k = k
        self.calibration = calibration or _shipped()
        self.threshold = self.calibration.abstain.threshold if threshold is None else threshold
        self.context_tokens = context_tokens
        self.locator = QuoteLocator(searcher.index)

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        """An assistant over the configured index, with the configured language model.

        Raises:
            QkdnError: the index is missing or empty, or the model cannot be set up.
        """
        from ..llm import chat_model

        return cls(
            Searcher.open(settings),
            llm=chat_model(settings),
            settings=settings,
            context_tokens=settings.llm_context,
        )

    def llm_errors(self) -> AbstractContextManager[None]:
        """Context in which a language-model failure becomes one clear LLMError."""
        from ..llm import llm_errors

        return llm_errors(self.settings)

    def word_pieces(self, word: str) -> int:
        """How many word pieces the embedder's vocabulary needs for ``word``."""
        return self.searcher.embedder.count_tokens(word) - 2  # [CLS] and [SEP]

    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "evidence"

    def records(self) -> dict[str, DocumentRecord]:
        return {r.source: r for r in self.searcher.documents()}

    def ask(
        self, question: str, history: History = (), *, filters: Filters | Mapping[str, Any] | None = None
    ) -> Answer:
        """Answer ``question`` (a follow-up of ``history`` when given).

        Raises:
            QkdnError: the question is empty or too long, a filter names nothing
                indexed, or the language model fails.
        """
        answer = None
        for event in self.stream(question, history, filters=filters):
            if isinstance(event, Answer):
                answer = event
        if answer is None:  # stream() always ends with the Answer
            raise QuestionError("no answer was produced")
        return answer

    def stream(
        self, question: str, history: History = (), *, filters: Filters | Mapping[str, Any] | None = None
    ) -> Iterator[str | Answer]:
        """Like :meth:`ask`, but yields the answer text in pieces as it is produced,
        then the finished :class:`~qkdnassist.types.Answer` (whose text may differ from
        the streamed pieces: unsupported sentences are flagged after checking)."""
        question = " ".join(question.split())
        if not question:
            raise QuestionError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise QuestionError(f"the question is longer than {MAX_QUESTION_CHARS:,} characters; ask something shorter")
        chosen = Filters.of(filters)
        query = self._standalone(question, history)
        analysis = self.analyse(query, chosen)
        if not analysis.hits or analysis.confidence < self.threshold or not analysis.usable:
            answer = self._abstain(question, query, analysis)
            yield answer.text
            yield answer
            return
        if self.llm is None:
            yield from self._edition_notes(self._evidence(question, query, analysis))
            return
        from .llm_mode import llm_answer

        hits = self._llm_sources(analysis)
        yield from self._edition_notes(
            llm_answer(
                self.llm,
                question,
                query,
                hits,
                locator=self.locator,
                records=self.records(),
                context_tokens=self.context_tokens,
                errors=self.llm_errors(),
                broad=analysis.qtype.broad,
                certainty=analysis.confidence,
            )
        )

    def analyse(self, query: str, filters: Filters | Mapping[str, Any] | None = None) -> Analysis:
        """Retrieve the evidence for ``query`` and score it (what :meth:`stream`
        answers from; ``bench/calibrate.py`` fits the models on it).

        A broad question (and no document filter) is searched document by document.

        Raises:
            QkdnError: the query is empty or a filter names nothing indexed.
        """
        chosen = Filters.of(filters)
        snapshot_documents = self.searcher.documents()
        names_document = bool(chosen.doc) or bool(parse_refs(query, snapshot_documents).doc_ids)
        qtype = question_type(query, names_document=names_document)
        ranks: list[int] | None = None
        hits: list[Hit] = []
        older = self.searcher.editions().exclusions(query, chosen.edition)
        if not qtype.broad:
            hits = self.searcher.search(
                query, self.k, body=chosen.body, doc=chosen.doc, exclude=chosen.exclude, edition=chosen.edition
            )
            if not names_document and spans_bodies(hits, qtype):
                qtype = replace(qtype, broad=True)  # several bodies speak to it: answer across them
        if qtype.broad:
            hits, ranks = self._broad_hits(query, chosen, older)
        embedder = self.searcher.embedder
        return analyse(
            query,
            hits,
            keyword=self.searcher.keyword_index(),
            qtype=qtype,
            calibration=self.calibration,
            pieces=self.word_pieces,
            embed=lambda texts: embedder.embed(texts, batch_size=16),
            query_vector=np.asarray(embedder.embed_query(query)) if hits else None,
            ranks=ranks,
            foreign=foreign_documents(query, snapshot_documents),
            named=document_mentions(query, snapshot_documents),
            names=self._names(query, snapshot_documents),
        )

    @staticmethod
    def _names(query: str, documents: Sequence[DocumentRecord]) -> list[str]:
        """The query's proper names that do not name an indexed document."""
        known = document_words(documents)
        return [n for n in proper_names(query) if not any(same_word(n, w) for w in known)]

    def _broad_hits(self, query: str, chosen: Filters, older: frozenset[str]) -> tuple[list[Hit], list[int]]:
        by_doc = {
            doc_id: [h for h in hits if h.chunk.source not in older]
            for doc_id, hits in self.searcher.search_each_document(query, _BROAD_PER_DOCUMENT).items()
        }
        bodies = self.searcher.resolve_body(chosen.body) if chosen.body else None
        records = {r.info.doc_id: r for r in self.searcher.documents()}
        kept = {
            doc_id: hits
            for doc_id, hits in by_doc.items()
            if hits
            and doc_id not in chosen.exclude
            and (bodies is None or (doc_id in records and records[doc_id].info.body in bodies))
        }
        return per_document(kept)

    def _edition_notes(self, events: Iterator[str | Answer]) -> Iterator[str | Answer]:
        """The events, the Answer with a note for every cited edition a newer one supersedes."""
        for event in events:
            if isinstance(event, Answer) and event.citations:
                notes = self.searcher.editions().superseded_notes([c.source for c in event.citations])
                if notes:
                    event = replace(event, notes=(*event.notes, *notes))
            yield event

    def _standalone(self, question: str, history: History) -> str:
        if not history:
            return question
        if self.llm is not None:
            from .llm_mode import condense

            with self.llm_errors():
                condensed = condense(self.llm, question, turns(history))
            if condensed:
                return condensed
        return standalone_query(question, history, self.searcher.documents())

    def _neighbour(self, chunk: Chunk, step: int) -> Chunk | None:
        ordinal = chunk.ordinal - 1 if step < 0 else chunk.end_ordinal + 1
        return self.searcher.index.chunk_at(chunk.source, ordinal) if ordinal >= 0 else None

    def _evidence(self, question: str, query: str, analysis: Analysis) -> Iterator[str | Answer]:
        records = self.records()
        if analysis.qtype.broad:
            chosen = spread(analysis.scored)
            located = locate(chosen, self.locator, records, self._neighbour)
            bodies = sorted({r.info.body for r in records.values() if r.info.body})
            text, statements = render_broad(located, question, bodies)
        else:
            narrow = bool(NARROW & set(analysis.qtype.values))
            located = locate(choose(analysis.scored, narrow=narrow), self.locator, records, self._neighbour)
            text, statements = render(located, analysis.qtype, question)
        if not located:
            answer = self._abstain(question, query, analysis)
            yield answer.text
            yield answer
            return
        yield from text.splitlines(keepends=True)
        yield Answer(
            question=question,
            query=query,
            text=text,
            citations=tuple(c for item in located for c in item.citations),
            abstained=False,
            mode="evidence",
            hits=analysis.hits,
            statements=tuple(statements),
            confidence=round(analysis.confidence, 4),
        )

    def _llm_sources(self, analysis: Analysis) -> list[Hit]:
        """The passages handed to the model: for a broad question the passages of the
        documents with the best statements (spread over documents), else the hits whose
        statements can be evidence (a passage that only restates the question, or is
        boilerplate, is left out), in rank order."""
        if analysis.qtype.broad:
            wanted = [s.candidate.chunk.id for s in spread(analysis.scored)]
        else:
            wanted = [s.candidate.chunk.id for s in analysis.usable]
        order = list(dict.fromkeys(wanted))
        by_id = {h.chunk.id: h for h in analysis.hits}
        return [by_id[i] for i in order if i in by_id]

    def _abstain(self, question: str, query: str, analysis: Analysis) -> Answer:
        lines = ["The indexed documents do not appear to cover this question."]
        records = self.records()
        if analysis.hits:
            lines.append("")
            lines.append("Nearest passages (they may not answer it):")
            for hit in analysis.hits[:3]:
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
            hits=analysis.hits,
            confidence=round(analysis.confidence, 4),
        )


def _shipped() -> Calibration:
    return calibration()
