"""Answer quality and speed, scored from the answers alone.

Facts: a question counts as answered with its facts when the assistant did not abstain
and every expected answer string appears in its answer text (case-blind, white space
collapsed, Markdown emphasis ignored). The *first statement* figure asks whether the
key fact (the first answer string) stands in the answer's first statement. A question
whose top 5 retrieved passages hold every answer string is "held by the top 5": the
answer layer should not lose those.

Abstention: the share of unanswerable questions abstained on, and of answerable ones.

Coordination: the share of a question's gold documents that the answer cites, and how
many bodies it cites.

Echoes and boilerplate, judged here independently of the system's own filters: a
quote is an *echo* when it is a question, or restates the question (most of the
question's content words, in the question's order); it is *boilerplate* when it is a
disclaimer, a copyright or IPR notice, a memo status paragraph or a contents line.

A citation resolves when its page exists and its quote stands on that page
(:func:`qkdnassist.answer.check_citation`).
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_EMPHASIS = re.compile(r"\*\*|__")
_WORD = re.compile(r"[a-z0-9][a-z0-9_\-./{}]*")
_STOP = set(
    "a an and are as at be by can could do does for from has have how in into is it its of on or shall should "
    "such that the their them there these this those to was were what when where which who why will with would "
    "there any i we you they our about according between".split()
)
_BOILERPLATE = re.compile(
    r"all rights reserved|copyright|produced and approved by|intellectual property|essential,? or potentially "
    r"essential|status of this memo|this internet-draft is submitted|reproduction is only permitted|"
    r"without the prior written|no part may be reproduced|disclaimer|trademarks? of|\.\s?\.\s?\.\s?\.\s?\.|"
    r"internet-drafts are working documents|expires:? [a-z]+ \d",
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    return " ".join(_EMPHASIS.sub("", text).split()).casefold()


def content_words(text: str) -> list[str]:
    return [w.strip(".-/") for w in _WORD.findall(text.casefold()) if w.strip(".-/") not in _STOP]


_CALL = re.compile(
    r"\b(?:invites?|calls? (?:on|upon)|requests?)\b.{0,120}?\bto (?:provide|share|contribute|submit|send)\b", re.I
)


_ASKS_FOR_CALLS = re.compile(r"\b(?:ask\w*|invit\w*|request\w*|calls? (?:to|for|on)|call(?:ed|s)? on)\b", re.I)


def is_echo(quote: str, question: str, answers: Sequence[str] = ()) -> bool:
    """The quote is a question or a call for contributions (unless the question asks
    what was requested), or it restates the question: 60 % of the question's content
    words in the question's order, with less than a third of its own content words new.
    A quote that holds one of the question's known answers is never an echo."""
    if any(normalise(a) in normalise(quote) for a in answers):
        return False
    if quote.rstrip(" ”\"')").endswith("?"):
        return True
    if _CALL.search(quote):
        return not _ASKS_FOR_CALLS.search(question)
    wanted = content_words(question)
    if len(wanted) < 3:
        return False
    have = content_words(quote)
    if len(set(have) - set(wanted)) >= len(set(have)) / 3:
        return False
    # longest common subsequence of the two word lists
    previous = [0] * (len(have) + 1)
    for w in wanted:
        row = [0]
        for j, h in enumerate(have):
            row.append(previous[j] + 1 if w == h else max(previous[j + 1], row[j]))
        previous = row
    return previous[-1] >= 0.6 * len(wanted)


def is_boilerplate(quote: str) -> bool:
    return bool(_BOILERPLATE.search(quote))


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def rate(hits: int, n: int) -> float:
    return round(hits / n, 3) if n else 0.0


@dataclass
class Asked:
    """One question asked, its answer and how long it took."""

    question: dict[str, Any]
    answer: Any
    ms: float
    first_piece_ms: float


def ask_all(assistant: Any, questions: Sequence[dict[str, Any]]) -> list[Asked]:
    """Ask every question (warm), timing the whole answer and its first streamed piece."""
    from qkdnassist.types import Answer

    asked = []
    for q in questions:
        started = time.perf_counter()
        answer = first = None
        for event in assistant.stream(q["question"]):
            if first is None:
                first = (time.perf_counter() - started) * 1000
            if isinstance(event, Answer):
                answer = event
        asked.append(Asked(q, answer, (time.perf_counter() - started) * 1000, first or 0.0))
    return asked


def _statement_texts(answer: Any) -> list[str]:
    return [s.text for s in answer.statements] or [answer.text]


def facts_ok(asked: Asked) -> bool:
    answer = asked.answer
    text = normalise(answer.text)
    return not answer.abstained and all(normalise(a) in text for a in asked.question["answers"])


def top5_holds(asked: Asked) -> bool:
    text = " \n ".join(normalise(h.chunk.text) for h in asked.answer.hits[:5])
    return all(normalise(a) in text for a in asked.question["answers"])


def first_statement_ok(asked: Asked) -> bool:
    return normalise(asked.question["answers"][0]) in normalise(_statement_texts(asked.answer)[0])


@dataclass
class FactScores:
    n: int
    facts: float
    top5_holds: float
    facts_when_top5_holds: float
    first_statement: float  # of the questions answered with their facts
    abstain_answerable: float
    misses: list[str] = field(default_factory=list)


def score_facts(asked: Sequence[Asked]) -> FactScores:
    ok = [facts_ok(a) for a in asked]
    held = [top5_holds(a) for a in asked]
    first = [first_statement_ok(a) for a, good in zip(asked, ok, strict=True) if good]
    misses = [
        f"{a.question['id']}: {'abstained' if a.answer.abstained else 'facts missing'}"
        f"{' (top 5 held them)' if h else ''}"
        for a, good, h in zip(asked, ok, held, strict=True)
        if not good
    ]
    return FactScores(
        n=len(asked),
        facts=rate(sum(ok), len(asked)),
        top5_holds=rate(sum(held), len(asked)),
        facts_when_top5_holds=rate(sum(g for g, h in zip(ok, held, strict=True) if h), sum(held)),
        first_statement=rate(sum(first), len(first)),
        abstain_answerable=rate(sum(a.answer.abstained for a in asked), len(asked)),
        misses=misses,
    )


@dataclass
class CoordinationScores:
    n: int
    gold_cited: float  # mean share of the gold documents cited
    bodies_cited: float  # mean number of bodies cited
    two_bodies: float  # share of questions citing >= 2 bodies (all gold sets span >= 2)
    abstained: float
    echo_answers: int  # answers that quote an echo of the question
    per_question: list[str] = field(default_factory=list)


def score_coordination(asked: Sequence[Asked], body_of: Callable[[str], str]) -> CoordinationScores:
    shares, bodies, echoes, rows = [], [], 0, []
    for a in asked:
        gold = {g["source"] for g in a.question["gold"]}
        cited = {c.source for c in a.answer.citations}
        shares.append(len(gold & cited) / len(gold))
        bodies.append(len({body_of(s) for s in cited}))
        echo = any(is_echo(c.quote, a.question["question"]) for c in a.answer.citations)
        echoes += echo
        rows.append(
            f"{a.question['id']}: {len(gold & cited)}/{len(gold)} gold, {bodies[-1]} bodies{', ECHO' if echo else ''}"
        )
    n = len(asked)
    return CoordinationScores(
        n=n,
        gold_cited=round(statistics.mean(shares), 3) if n else 0.0,
        bodies_cited=round(statistics.mean(bodies), 2) if n else 0.0,
        two_bodies=rate(sum(b >= 2 for b in bodies), n),
        abstained=rate(sum(a.answer.abstained for a in asked), n),
        echo_answers=echoes,
        per_question=rows,
    )


@dataclass
class QuoteScores:
    citations: int
    resolved: float
    echoes: int
    boilerplate: int
    examples: list[str] = field(default_factory=list)


def score_quotes(asked: Sequence[Asked], pages: Callable[[str], Any]) -> QuoteScores:
    try:
        from qkdnassist.answer import check_citation
    except ImportError:
        from qkdnassist.search.quotes import check_citation

    cited = resolved = echoes = boiler = 0
    examples = []
    for a in asked:
        for c in a.answer.citations:
            cited += 1
            resolved += check_citation(c, pages(c.source))
            if is_echo(c.quote, a.question["question"], a.question.get("answers") or ()):
                echoes += 1
                examples.append(f"echo {a.question['id']}: {c.quote[:100]}")
            if is_boilerplate(c.quote):
                boiler += 1
                examples.append(f"boilerplate {a.question['id']}: {c.quote[:100]}")
    return QuoteScores(cited, round(resolved / cited, 4) if cited else 1.0, echoes, boiler, examples[:20])


def latency(asked: Sequence[Asked]) -> dict[str, float]:
    ms = [a.ms for a in asked]
    first = [a.first_piece_ms for a in asked]
    return {
        "ms_p50": round(statistics.median(ms), 1),
        "ms_p95": round(percentile(ms, 0.95), 1),
        "first_piece_ms_p50": round(statistics.median(first), 1),
    }


def split(questions: Sequence[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [q for q in questions if q.get("split", "fit") == name]


def evaluate(
    assistant: Any,
    *,
    facts: Sequence[dict[str, Any]],
    unanswerable: Sequence[dict[str, Any]],
    coordination: Sequence[dict[str, Any]] = (),
    pages: Callable[[str], Any],
    body_of: Callable[[str], str],
) -> dict[str, Any]:
    """Every answer figure of ``make bench``, on both splits (fit: the questions the
    thresholds were fitted on; test: the frozen split nothing is fitted on)."""
    asked_facts = ask_all(assistant, facts)
    asked_un = ask_all(assistant, unanswerable)
    asked_co = ask_all(assistant, coordination)
    by_id = {a.question["id"]: a for a in [*asked_facts, *asked_un, *asked_co]}
    result: dict[str, Any] = {}
    for name in ("fit", "test", "all"):
        pick = (lambda qs: list(qs)) if name == "all" else (lambda qs, n=name: split(qs, n))
        f = [by_id[q["id"]] for q in pick(facts)]
        u = [by_id[q["id"]] for q in pick(unanswerable)]
        c = [by_id[q["id"]] for q in pick(coordination)]
        part: dict[str, Any] = {"facts": score_facts(f).__dict__}
        part["facts_table"] = score_facts([a for a in f if a.question["kind"] == "table"]).__dict__
        part["facts_paraphrase"] = score_facts([a for a in f if a.question.get("paraphrase")]).__dict__
        part["abstain_unanswerable"] = rate(sum(a.answer.abstained for a in u), len(u))
        part["unanswered_misses"] = [a.question["id"] for a in u if not a.answer.abstained]
        part["n_unanswerable"] = len(u)
        if c:
            part["coordination"] = score_coordination(c, body_of).__dict__
        part["quotes"] = score_quotes([*f, *c], pages).__dict__
        result[name] = part
    result["latency_facts"] = latency(asked_facts)
    if asked_co:
        result["latency_coordination"] = latency(asked_co)
    return result


def naive_facts(answerable: Sequence[dict[str, Any]], search: Callable[[str], list[dict[str, Any]]]) -> float:
    """The naive pipeline as an extractive baseline: does its top passage hold the facts?
    (It has no notion of abstaining: it always returns its top passage.)"""
    ok = 0
    for q in answerable:
        hits = search(q["question"])
        text = normalise(hits[0]["text"]) if hits else ""
        ok += all(normalise(a) in text for a in q["answers"])
    return round(ok / max(len(answerable), 1), 3)
