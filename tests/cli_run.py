"""The command line run by tests: in this process through ``main(argv, stdout=)``, or
as a user runs it (``python -m qkdnassist``), with settings given as QKDN_* variables."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass

from conftest import MANIFEST
from qkdnassist.app.cli import main
from qkdnassist.config import Settings

__all__ = ["Done", "run", "run_process"]


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def _environment(settings: Settings, env: dict[str, str]) -> dict[str, str]:
    return {
        "QKDN_CORPUS": str(settings.corpus),
        "QKDN_INDEX": str(settings.index),
        "QKDN_MANIFEST": str(settings.manifest if settings.manifest.is_absolute() else MANIFEST),
        **env,
    }


def run(args: list[str], settings: Settings, **env: str) -> Done:
    """The command line in this process, through ``main(argv, stdout=)``, with the
    settings given as the QKDN_* variables it reads."""
    saved = dict(os.environ)
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.update(_environment(settings, env))
        with contextlib.redirect_stderr(err):
            try:
                code = main(args, stdout=out)
            except SystemExit as exit:  # argparse's usage errors
                code = int(exit.code or 0)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Done(code, out.getvalue(), err.getvalue())


def run_process(args: list[str], settings: Settings, **env: str) -> Done:
    """The command line as a user runs it: ``python -m qkdnassist`` in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "qkdnassist", *args],
        env={**os.environ, **_environment(settings, env)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return Done(done.returncode, done.stdout, done.stderr)
