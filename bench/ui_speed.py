"""How fast the web app feels: time to serve, and time to the first words of an answer.

Measured on an installed checkout over an existing index (``QKDN_INDEX``, default
``index``), in evidence mode, the way a user meets it:

- ``served_s``: from starting the server process (``python -m qkdnassist serve
  --port N``, which is what ``python app.py`` runs, on a free port) to ``GET /``
  answering 200;
- ``first_token_ms_p50`` / ``first_token_ms_max``: in a real browser (Debian's
  chromium driven by Playwright), from pressing Enter in the question box to the first
  text in the chat's new assistant message, over a few questions after one warm-up
  question (which loads the embedding model). The page is reloaded between questions
  so each one starts a fresh conversation.

    python bench/ui_speed.py [--index DIR] [--chromium PATH]

Prints one JSON object. ``bench/run.py`` can call :func:`measure`. Targets: served
≤ 15 s, first token ≤ 1 s. This script does not build an index.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from servers import free_port, stop, wait_until_answers

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("QKDN_CHROMIUM", "/usr/bin/chromium"))
# Offline, possibly as root in a container: no sandbox, no GPU, no background traffic.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WARM_UP = "What does ETSI GS QKD 014 specify?"
QUESTIONS = [
    "Which URL does a slave SAE call to get keys with key IDs?",
    "What error message must a KME return when the key size is not a multiple of 8?",
    "Which parameter sets does ML-KEM define?",
    "What TLS version must the SAE-KME link use?",
    "Which field of the Status response tells whether the KME supports key multicast?",
]
SERVE_TIMEOUT_S = 120.0
ANSWER_TIMEOUT_MS = 60_000

# True once the chat holds more assistant messages than before and the newest shows text.
_FIRST_TEXT = """(before) => {
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    return bots.length > before && bots[bots.length - 1].innerText.trim().length > 0;
}"""


def first_token_ms(url: str, questions: list[str], chromium: Path = CHROMIUM) -> list[float]:
    """Milliseconds from Enter to the first answer text, one per question (the warm-up excluded)."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(ANSWER_TIMEOUT_MS)
            for n, question in enumerate([WARM_UP, *questions]):
                page.goto(url, wait_until="domcontentloaded")  # a fresh conversation
                page.locator("#status").wait_for()
                box = page.locator("#question textarea")
                box.fill(question)
                before = page.locator('#chat [data-testid="bot"]').count()
                started = time.perf_counter()
                box.press("Enter")
                page.wait_for_function(_FIRST_TEXT, arg=before, polling="raf", timeout=ANSWER_TIMEOUT_MS)
                if n:
                    times.append((time.perf_counter() - started) * 1000)
        finally:
            browser.close()
    return times


def measure(index: Path, questions: list[str], *, chromium: Path = CHROMIUM) -> dict[str, float]:
    """Serve ``index`` in a fresh process and time it; returns served_s and first-token p50/max (ms).

    Raises:
        RuntimeError: the server exits or does not answer within two minutes.
    """
    if not questions:
        raise ValueError("give at least one question to time")
    port = free_port()
    env = {
        **os.environ,
        "QKDN_INDEX": str(index.resolve()),
        "QKDN_LLM": "none",  # evidence mode: the time is ours, not a language model's
        "QKDN_AUTH": "",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    command = [sys.executable, "-m", "qkdnassist", "serve", "--port", str(port)]
    with tempfile.TemporaryDirectory(prefix="qkdn-ui-speed-") as work:
        log = Path(work) / "server.log"
        with log.open("wb") as output:
            started = time.perf_counter()
            server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_until_answers(url, server, log, what="the server", timeout=SERVE_TIMEOUT_S, interval=0.05)
            served = time.perf_counter() - started
            times = first_token_ms(url, questions, chromium)
        finally:
            stop(server)
    return {
        "served_s": round(served, 2),
        "first_token_ms_p50": round(statistics.median(times), 1),
        "first_token_ms_max": round(max(times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("QKDN_INDEX", "index")))
    parser.add_argument("--chromium", type=Path, default=CHROMIUM)
    args = parser.parse_args()
    if not args.index.is_dir():
        sys.exit(f"no index at {args.index}: run `qkdnassist ingest` (or `make ingest`) first")
    print(json.dumps(measure(args.index, QUESTIONS, chromium=args.chromium)))


if __name__ == "__main__":
    main()
