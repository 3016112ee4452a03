"""Servers started for a benchmark or a test: a free port, waiting until one answers, stopping it.

Shared by ``bench/ui_speed.py``, ``bench/load.py`` and the tests (the llama.cpp server
and ``chroma run`` fixtures), which start real servers on loopback.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_answers(
    url: str, process: subprocess.Popen[bytes], log: Path, *, what: str, timeout: float, interval: float = 0.25
) -> None:
    """Poll ``GET url`` until it answers 200.

    Raises:
        RuntimeError: ``process`` exited, or nothing answered within ``timeout`` seconds;
            the message names ``what`` and ends with the tail of its ``log``.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass  # not listening yet (URLError is an OSError)
        time.sleep(interval)
    raise RuntimeError(f"{what} did not answer at {url} within {timeout:.0f} s:\n{log_tail(log)}")


def stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """Terminate ``process``; kill it if it has not exited after ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def log_tail(log: Path, size: int = 2000) -> str:
    """The last ``size`` characters of a server's log ("" when it has none yet)."""
    try:
        return log.read_text(errors="replace")[-size:]
    except OSError:
        return ""
