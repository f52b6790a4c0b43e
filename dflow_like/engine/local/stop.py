"""A terminate that reaches a local run's engine while it is still starting."""

from __future__ import annotations

import signal

__all__ = ["StopRequest", "blocked_terminate"]


class StopRequest:
    """A terminate (``SIGTERM``) that reaches the engine before its loop is up.

    The engine starts with ``SIGTERM`` blocked (its launcher blocks it across the fork or
    spawn): the default action would kill it mid start-up, and the run would read "engine
    gone" instead of "terminated". ``listen`` records the signal instead and unblocks it;
    the loop stops at once if it came (``engine_loop._run``).
    """

    def __init__(self) -> None:
        self.requested = False

    def _record(self, signum: int, frame: object) -> None:
        self.requested = True

    def listen(self) -> None:
        signal.signal(signal.SIGTERM, self._record)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def blocked_terminate() -> set[int | signal.Signals]:
    """Block ``SIGTERM`` in this thread (for the fork or spawn of an engine); the old mask."""
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
