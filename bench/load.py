"""Many users at once: simulated users asking questions through the web app's API, or
through the OpenAI-compatible API or MCP of the same server.

    .venv/bin/python bench/load.py [--index index] [--users 20] [--seconds 60]
                                   [--surface gradio|openai|mcp]

Serves the app in this process on loopback, starts ``users`` threads, each with its own
client (a Gradio client with its own session, an ``openai`` client, or an MCP client
session calling ``ask``), asking the development questions in a loop for ``seconds``.
Prints a JSON object: questions answered, errors, latency p50/p95/max, and the resident
memory of the process at the start, the end and its peak (sampled).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from servers import free_port

HERE = Path(__file__).resolve().parent


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_load(
    assistant: Any, settings: Any, questions: list[str], *, users: int, seconds: float, surface: str = "gradio"
) -> dict[str, Any]:
    """Serve the app over ``assistant`` and load it through ``surface``; returns the measurements."""
    from dataclasses import replace

    port = free_port()
    if surface == "gradio":
        from qkdnassist.app.ui import build_ui

        app = build_ui(settings, assistant=assistant)
        app.queue(default_concurrency_limit=4)
        app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    else:
        from qkdnassist.app.serve import serve

        # all simulated users share one address: no per-client rate limit for the run
        app = serve(replace(settings, api_rate=0), port=port, block=False, assistant=assistant)
    ask = {"gradio": _gradio_asker, "openai": _openai_asker, "mcp": _mcp_asker}[surface]
    latencies: list[float] = []
    errors: list[str] = []
    memory = [rss_mb()]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def user(seed: int) -> None:
        rng = random.Random(seed)
        try:
            asker, close = ask(f"http://127.0.0.1:{port}")
        except Exception as exc:
            with lock:
                errors.append(f"connect: {exc}")
            return
        while time.monotonic() < stop:
            question = rng.choice(questions)
            started = time.perf_counter()
            try:
                asker(question)
            except Exception as exc:
                with lock:
                    errors.append(str(exc)[:300])
                continue
            with lock:
                latencies.append(time.perf_counter() - started)
        close()

    def sample() -> None:
        while time.monotonic() < stop:
            memory.append(rss_mb())
            time.sleep(2.0)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    sampler = threading.Thread(target=sample)
    try:
        for thread in [*threads, sampler]:
            thread.start()
        for thread in [*threads, sampler]:
            thread.join()
    finally:
        app.close()
    memory.append(rss_mb())
    ordered = sorted(latencies)
    return {
        "surface": surface,
        "users": users,
        "seconds": seconds,
        "answered": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "latency_s_p50": round(statistics.median(ordered), 3) if ordered else None,
        "latency_s_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3) if ordered else None,
        "latency_s_max": round(ordered[-1], 3) if ordered else None,
        "rss_mb_start": round(memory[0], 1),
        "rss_mb_peak": round(max(memory), 1),
        "rss_mb_end": round(memory[-1], 1),
    }


Asker = tuple[Any, Any]  # (ask one question, close the client)


def _gradio_asker(url: str) -> Asker:
    from gradio_client import Client

    client = Client(f"{url}/", verbose=False)

    def ask(question: str) -> None:
        chat, *_ = client.predict(question, [], "(all)", "(all)", "current", api_name="/ask")
        if not chat or chat[-1]["role"] != "assistant" or str(chat[-1]["content"]).startswith("Error"):
            raise RuntimeError(f"bad answer to {question!r}: {str(chat)[:200]}")

    return ask, lambda: None


def _openai_asker(url: str) -> Asker:
    import openai

    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=120)

    def ask(question: str) -> None:
        reply = client.chat.completions.create(model="qkdnassist", messages=[{"role": "user", "content": question}])
        if not reply.choices[0].message.content:
            raise RuntimeError(f"empty reply to {question!r}")

    return ask, client.close


def _mcp_asker(url: str) -> Asker:
    """An MCP client session held open by one task on its own event loop (a thread); the
    simulated user's calls run on that loop."""
    import asyncio
    from concurrent.futures import Future

    from mcp import Client

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    client = Client(f"{url}/mcp", read_timeout_seconds=120)
    opened: Future[asyncio.Event] = Future()

    async def hold() -> None:  # enters and exits the client in one task, as anyio requires
        done = asyncio.Event()
        try:
            async with client:
                opened.set_result(done)
                await done.wait()
        except BaseException as exc:
            if not opened.done():
                opened.set_exception(exc)
            raise

    held = asyncio.run_coroutine_threadsafe(hold(), loop)
    done = opened.result(timeout=60)

    def ask(question: str) -> None:
        call = asyncio.run_coroutine_threadsafe(client.call_tool("ask", {"question": question}), loop)
        result = call.result(timeout=180)
        if result.is_error or not json.loads(result.content[0].text)["answer"]:
            raise RuntimeError(f"bad answer to {question!r}: {str(result.content)[:200]}")

    def close() -> None:
        loop.call_soon_threadsafe(done.set)
        held.result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)

    return ask, close


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path("index"))
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--surface", choices=["gradio", "openai", "mcp"], default="gradio")
    args = parser.parse_args()

    from dataclasses import replace

    from qkdnassist.answer import Assistant
    from qkdnassist.config import load_settings
    from qkdnassist.search.retrieve import Searcher

    settings = replace(load_settings(), index=args.index)
    assistant = Assistant(Searcher.open(settings))
    assistant.ask("warm up: what is a KME?")
    lines = (HERE / "questions" / "facts.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    print(
        json.dumps(
            run_load(assistant, settings, questions, users=args.users, seconds=args.seconds, surface=args.surface),
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
