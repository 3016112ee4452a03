"""Answering questions with checked citations, with or without a language model.

The entry point is :class:`Assistant` (``ask`` / ``stream``). The package, by stage:
``qtypes`` (what a question asks for), ``query`` (its words as the corpus sees them),
``statements`` (passages → candidate sentences, rows and lists; what is never
evidence), ``evidence`` (scoring, choosing, locating and rendering statements),
``analysis`` (one question's evidence scored, and the abstention signals), ``broad``
(coordination questions, document by document), ``calibration`` (the fitted models,
read from ``calibration.json``), ``llm_mode`` with ``sources``, ``prompts``,
``sanitize`` and ``checking`` (the LangChain chain and the checks on its answer).
"""

from ..citations import format_citation
from ..search.quotes import check_citation
from .assistant import MAX_QUESTION_CHARS, Assistant, History, standalone_query, turns
from .filters import Filters

__all__ = [
    "MAX_QUESTION_CHARS",
    "Assistant",
    "Filters",
    "History",
    "check_citation",
    "format_citation",
    "standalone_query",
    "turns",
]
