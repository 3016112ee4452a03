"""What a question may be answered from: a body, a document, documents left out, editions.

This module does not search (the assistant passes the filters to search).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import QuestionError

__all__ = ["Filters"]


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to one body and/or one document (names as in ``qkdnassist docs``),
    leave out documents by doc_id (a liaison reply must not quote the incoming LS), and
    choose editions: ``current`` (default: the editions the question names, else each
    document's current one), ``all``, or one edition ("-05", "V1.1.1", "2022")."""

    body: str | None = None
    doc: str | None = None
    exclude: tuple[str, ...] = ()
    edition: str = "current"

    @classmethod
    def of(cls, value: Filters | Mapping[str, Any] | None) -> Filters:
        """Filters from a mapping with the keys ``body``, ``doc``, ``exclude``, ``edition``.

        Raises:
            QuestionError: an unknown key.
        """
        if value is None:
            return cls()
        if isinstance(value, Filters):
            return value
        unknown = set(value) - {"body", "doc", "exclude", "edition"}
        if unknown:
            raise QuestionError(f"unknown filter(s): {', '.join(sorted(unknown))} (use body, doc, exclude, edition)")
        return cls(
            value.get("body") or None,
            value.get("doc") or None,
            tuple(value.get("exclude") or ()),
            str(value.get("edition") or "current"),
        )
