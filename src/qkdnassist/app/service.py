"""What the programmatic front ends (the OpenAI-compatible API, MCP) share: one
assistant over the configured index, and the workflows called the way the CLI calls
them, so every surface answers with the same data.

Each method returns the workflow's own dataclass; :mod:`.render` turns it into the CLI's
``--json`` shape. Nothing here decides anything or knows a protocol.
"""

from __future__ import annotations

import threading
from typing import Any

from ..access import Principal, collection_of
from ..answer import Assistant
from ..config import Settings
from ..errors import QuestionError
from ..types import Answer, Hit, Page
from ..workflows.catalogue import Catalogue
from ..workflows.coverage import CoverageReport
from ..workflows.diff import Diff
from ..workflows.glossary import DefinitionReport
from ..workflows.outcomes import OutcomeReport
from ..workflows.references import ReferenceReport
from ..workflows.requirements import RequirementReport

__all__ = ["Service"]


class Service:
    """The workflows behind the API and MCP front ends.

    Args:
        settings: the configuration (index, models).
        assistant: the assistant to use (the web app's own, or one a test built);
            by default one from ``settings``, made on first use.
        principal: who asks; every call then sees only the collections it may read
            (:class:`~..search.scoped.ScopedSearcher`). None: everything.
    """

    def __init__(
        self, settings: Settings, assistant: Assistant | None = None, *, principal: Principal | None = None
    ) -> None:
        self.settings = settings
        self.principal = principal
        self._assistant = assistant
        self._scoped: Assistant | None = None
        self._lock = threading.Lock()
        self._views: dict[Principal, Service] = {}

    def as_user(self, principal: Principal | None) -> Service:
        """The same workflows over the same assistant, for ``principal`` (None: this service)."""
        if principal is None:
            return self
        with self._lock:
            view = self._views.get(principal)
        if view is None:
            view = Service(self.settings, self.base_assistant, principal=principal)
            with self._lock:
                view = self._views.setdefault(principal, view)
        return view

    @property
    def base_assistant(self) -> Assistant:
        """The unrestricted assistant (built on first use)."""
        with self._lock:
            if self._assistant is None:
                self._assistant = Assistant.from_settings(self.settings)
            return self._assistant

    @property
    def assistant(self) -> Assistant:
        """The assistant over what :attr:`principal` may read."""
        base = self.base_assistant
        principal = self.principal
        if principal is None or principal.collections is None:
            return base
        if self._scoped is None:
            from ..metadata import manifest_collections
            from ..search.scoped import ScopedSearcher

            named = manifest_collections(self.settings.manifest)
            searcher = ScopedSearcher(base.searcher, lambda d: principal.may_read(collection_of(d.source, named)))
            self._scoped = Assistant(
                searcher,
                llm=base.llm,
                settings=base.settings,
                k=base.k,
                calibration=base.calibration,
                threshold=base.threshold,
                context_tokens=base.context_tokens,
            )
        return self._scoped

    def _visible(self) -> set[str]:
        """The sources the principal may read."""
        return {d.source for d in self.assistant.searcher.documents()}

    def search(
        self, query: str, k: int | None = None, *, body: str | None = None, doc: str | None = None, edition: str = ""
    ) -> list[Hit]:
        """``qkdnassist search``.

        Raises:
            QuestionError: empty query, ``k`` out of range, or a filter that names nothing.
        """
        k = self.settings.search_k if k is None else k
        if not 1 <= k <= 200:
            raise QuestionError("k must be from 1 to 200")
        searcher = self.assistant.searcher
        return searcher.search(query, k, body=body or None, doc=doc or None, edition=edition or "current")

    def ask(self, question: str, history: Any = (), *, filters: dict[str, Any] | None = None) -> Answer:
        """``qkdnassist ask`` (a follow-up of ``history``, chat messages or pairs, when given)."""
        clean = {key: value for key, value in (filters or {}).items() if value}
        return self.assistant.ask(question, history, filters=clean)

    def coverage(self, topic: str) -> CoverageReport:
        """``qkdnassist coverage``."""
        from ..workflows.coverage import CoverageChecker

        assistant = self.assistant
        return CoverageChecker(assistant.searcher, pieces=assistant.word_pieces).check(topic)

    def define(self, term: str) -> DefinitionReport:
        """``qkdnassist define``."""
        from dataclasses import replace

        from ..workflows.definitions import differs
        from ..workflows.glossary import Glossary, define

        if not term.strip():
            raise QuestionError("the term is empty")
        report = define(Glossary.build(self.assistant.searcher.index), term)
        if self.principal is None or self.principal.collections is None:
            return report
        visible = self._visible()
        kept = tuple(d for d in report.definitions if d.source in visible)
        return replace(report, definitions=kept, conflicting=differs(kept))

    def _index(self) -> Any:
        """The index as the principal may see it: documents it may not read are absent."""
        index = self.assistant.searcher.index
        if self.principal is None or self.principal.collections is None:
            return index
        from ..search.scoped import VisibleIndex

        return VisibleIndex(index, self._visible())

    def catalogue(self) -> Catalogue:
        """``qkdnassist catalogue``."""
        from ..metadata import load_manifest
        from ..workflows.catalogue import build_catalogue

        return build_catalogue(self._index(), manifest=load_manifest(self.settings.manifest))

    def diff(self, doc: str, old: str = "", new: str = "") -> Diff:
        """``qkdnassist diff``."""
        from ..workflows.diff import compare_editions

        return compare_editions(self._index(), doc, old=old, new=new)

    def refs(self, doc: str) -> ReferenceReport:
        """``qkdnassist refs``."""
        from ..workflows.references import references

        return references(self._index(), doc)

    def requirements(self, doc: str, topic: str = "", strength: str = "") -> RequirementReport:
        """``qkdnassist requirements DOC``."""
        from ..workflows.requirements import document_requirements

        return document_requirements(self._index(), doc, topic=topic, level=strength)

    def outcomes(self, doc: str = "") -> OutcomeReport:
        """``qkdnassist outcomes [DOC]``."""
        from ..workflows.outcomes import meeting_outcomes

        return meeting_outcomes(self._index(), doc)

    def page(self, source: str, number: int) -> tuple[str, str, Page]:
        """The stored text of page ``number`` of the indexed file ``source`` (a citation's
        ``source`` and ``page``): its doc_id, edition and the page.

        Raises:
            QuestionError: no indexed file ``source``, or no such page in it.
        """
        record = next((d for d in self.assistant.searcher.documents() if d.source == source), None)
        if record is None:
            raise QuestionError(f"no indexed document {source!r}; see 'qkdnassist docs'")
        pages = self.assistant.searcher.index.pages(source)
        page = next((p for p in pages if p.number == number), None)
        if page is None:
            raise QuestionError(f"{source} has no page {number} (pages 1 to {len(pages)})")
        return record.info.doc_id, record.info.edition, page
