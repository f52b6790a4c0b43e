"""``wf.watch()`` in a notebook: a background thread refreshes one display in place.

The cell returns at once (the kernel stays free for other cells); the thread updates
the display through its IPython display id every ``interval`` seconds and stops after
drawing the final state. Outside a kernel there is no display to update: the caller waits.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from .html import run_html
from .source import plan_for, summarize

__all__ = ["Watch", "in_kernel", "start_watch"]


def in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()  # type: ignore[no-untyped-call]
    return shell is not None and getattr(shell, "kernel", None) is not None


class Watch:
    """A running refresh of one workflow's view; ``stop()`` ends it, ``join()`` waits for the end."""

    def __init__(self, wf: Any, interval: float, timeout: float | None) -> None:
        from IPython.display import display

        self.wf_id = wf.id
        self.interval = interval
        self.deadline = None if timeout is None else time.monotonic() + timeout
        # a backend of its own: the watcher never reaps the engine process the caller started
        self._wf = wf
        self._backend = type(wf._backend())()
        self._plan = plan_for(wf, self._backend)
        self._stop = threading.Event()
        self.phase = "Pending"
        self.handle = display(self._render(), raw=True, display_id=True)  # type: ignore[no-untyped-call]
        self._thread = threading.Thread(target=self._loop, name=f"dflow-watch-{wf.id}", daemon=True)
        self._thread.start()

    def _render(self) -> dict[str, str]:
        """The view as a MIME bundle: HTML, and a line of text for front ends without HTML."""
        summary = summarize(self._wf, self._plan, self._backend)
        self.phase = summary.phase
        self._running = summary.running
        return {"text/html": run_html(self._plan, summary), "text/plain": summary.headline()}

    def _loop(self) -> None:
        while self._running and not self._stop.wait(self.interval):
            if self.deadline is not None and time.monotonic() > self.deadline:
                break
            try:
                view = self._render()
            except (sqlite3.Error, OSError):  # a busy or briefly unreadable state store: try again next time
                continue
            self.handle.update(view, raw=True)  # type: ignore[no-untyped-call]
        self._running = False

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def __repr__(self) -> str:
        state = "ended" if self.done else f"refreshing every {self.interval:g} s"
        return f"<watching {self.wf_id}: {state}>"


def start_watch(wf: Any, interval: float = 0.5, timeout: float | None = None) -> Watch:
    return Watch(wf, interval, timeout)
