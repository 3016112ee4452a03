"""Worker processes in which one call fails alone.

Ingest reads files in worker processes. With :mod:`concurrent.futures`, one worker
killed (the OOM killer's SIGKILL, a crash inside a C extension) breaks the whole pool:
every pending call fails with ``BrokenProcessPool`` and the run aborts. A call that
hangs cannot be stopped either: a running future cannot be cancelled, and nothing
tells which process runs it.

Here each worker is a spawned process with its own pipe that is given one call at a
time, so the parent always knows which call a process is running. A worker that dies
fails that call alone and is replaced; a call past its deadline has its worker killed
(a hung worker is never left behind) and fails alone. The other calls go on. Workers
are spawned, not forked: a forked one would inherit its parent's open files and locks
(ingest's lock on the index) and hold them past a killed parent.

Deliberately not here: retries (a file that killed its reader will most likely kill
the next one too) and any knowledge of files: callers turn a :class:`Lost` call into
their own report.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

from .errors import IngestError

__all__ = ["Lost", "run_each"]


@dataclass(frozen=True)
class Lost:
    """A call that returned nothing: its worker died during it, or it ran past its
    deadline and its worker was killed.

    Attributes:
        timed_out: it ran past its deadline (else its worker died on its own).
        how: how the worker ended: "killed by SIGKILL, out of memory?", "exit code 1",
            "killed after 600 s".
    """

    timed_out: bool
    how: str


def run_each(
    func: Callable[..., Any],
    calls: Sequence[tuple[Any, ...]],
    *,
    processes: int,
    timeout: float,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[tuple[int, Any]]:
    """``func(*args)`` for every ``args`` of ``calls``, in up to ``processes`` spawned
    worker processes (started as needed, each running ``initializer(*initargs)`` first).

    Yields ``(position of the call in calls, its result)`` in completion order; the
    result is a :class:`Lost` when the worker died during the call, or the call ran
    longer than ``timeout`` seconds (a fresh worker's start-up not counted). Closing
    the iterator early stops every worker.

    Raises:
        IngestError: a worker process died before it was ready to serve (it could not
            start: no call is to blame).
        Exception: what ``func`` or ``initializer`` raised in a worker, with the
            worker's traceback as a note; the other workers are stopped.
    """
    context = multiprocessing.get_context("spawn")
    waiting = deque(enumerate(calls))
    idle: list[_Worker] = []
    busy: list[_Worker] = []
    finished: list[tuple[int, Any]] = []
    try:
        while waiting or busy or finished:
            while waiting and len(busy) < processes:
                worker = idle.pop() if idle else _Worker(context, func, initializer, initargs)
                if not worker.process.is_alive():  # died while idle: not this call's doing
                    worker.stop(kill=True)
                    continue
                worker.give(*waiting.popleft(), timeout=timeout)
                busy.append(worker)
            # Yielded only now, so that workers read on while the caller works.
            yield from finished
            finished.clear()
            if not busy:
                continue
            next_deadline = min(w.deadline for w in busy)
            ready = set(
                wait(
                    [w.conn for w in busy] + [w.process.sentinel for w in busy],
                    max(0.0, next_deadline - time.monotonic()),
                )
            )
            for worker in list(busy):
                outcome = worker.outcome(ready)
                if outcome is None:
                    continue
                busy.remove(worker)
                if isinstance(outcome[1], Lost):
                    worker.stop(kill=True)
                else:
                    idle.append(worker)
                finished.append(outcome)
    finally:
        for worker in busy:
            worker.stop(kill=True)
        for worker in idle:
            worker.stop()


class _Worker:
    """One spawned process serving calls over a pipe, and the call it is running."""

    def __init__(
        self,
        context: SpawnContext,
        func: Callable[..., Any],
        initializer: Callable[..., None] | None,
        initargs: tuple[Any, ...],
    ) -> None:
        self.conn, child = context.Pipe()
        # daemon: multiprocessing kills it if this process exits with calls still running.
        self.process: SpawnProcess = context.Process(
            target=_serve, args=(child, func, initializer, initargs), name="qkdnassist-worker", daemon=True
        )
        self.process.start()
        child.close()  # the worker holds the other end: its death is this end's EOF
        self.ready = False
        self.call = -1
        self.timeout = 0.0
        self.deadline = 0.0

    def give(self, call: int, args: tuple[Any, ...], *, timeout: float) -> None:
        # A fresh worker's deadline starts again when it reports ready.
        self.call, self.timeout, self.deadline = call, timeout, time.monotonic() + timeout
        # If it died just now, sending fails; its sentinel then reports this call lost.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.conn.send(args)

    def outcome(self, ready: set[Any]) -> tuple[int, Any] | None:
        """``(call, result)`` once the running call is over, else None.

        Raises:
            IngestError: the worker died before it was ready.
            Exception: what the call raised in the worker.
        """
        if self.conn in ready:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                return self.call, self._lost()
            if message == _READY:
                self.ready = True
                self.deadline = time.monotonic() + self.timeout
                return None
            ok, value, where = message
            if not ok:
                value.add_note(f"in the worker process:\n{where}")
                raise value
            return self.call, value
        if self.process.sentinel in ready:
            return self.call, self._lost()
        if time.monotonic() >= self.deadline:
            return self.call, Lost(True, f"killed after {self.timeout:g} s")
        return None

    def _lost(self) -> Lost:
        how = self._death()
        if not self.ready:
            raise IngestError(f"a worker process could not start ({how}; see its error output)")
        return Lost(False, how)

    def _death(self) -> str:
        self.process.join(5)
        code = self.process.exitcode
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
            hint = ", out of memory?" if -code == signal.SIGKILL else ""
            return f"killed by {name}{hint}"
        return f"exit code {code}"

    def stop(self, *, kill: bool = False) -> None:
        """End the process: an idle one exits on the closed pipe; a busy one, or one that
        does not exit in time, is killed."""
        self.conn.close()
        if not kill:
            self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.process.close()


_READY = "ready"  # a worker's first message: initialised, serving calls


def _serve(
    conn: Connection, func: Callable[..., Any], initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    """The worker's loop: run each call received, send back ``(ok, result or exception,
    traceback)``; exit when the parent closes the pipe or goes away."""
    broken: tuple[bool, Any, str] | None = None
    try:
        if initializer is not None:
            initializer(*initargs)
    except Exception as exc:  # reported as every call's failure, so the parent raises it
        broken = (False, exc, traceback.format_exc())
    conn.send(_READY)
    while True:
        try:
            args = conn.recv()
        except (EOFError, OSError):
            return
        if broken is not None:
            reply = broken
        else:
            try:
                reply = (True, func(*args), "")
            except Exception as exc:
                reply = (False, exc, traceback.format_exc())
        try:
            conn.send(reply)
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception as exc:  # the result or the exception cannot be pickled
            conn.send((False, RuntimeError(f"cannot send the result back: {exc!r}"), traceback.format_exc()))
