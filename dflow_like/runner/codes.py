"""Exit codes of the step runner: the contract between the runner and every engine."""

from __future__ import annotations

__all__ = ["ERROR", "FAILED", "FATAL", "SUCCEEDED", "TRANSIENT"]

SUCCEEDED = 0
FAILED = 1  # the OP raised an ordinary exception
FATAL = 2  # FatalError: never retried
TRANSIENT = 3  # TransientError (or a transient storage failure): worth retrying
ERROR = 4  # the runner itself could not work (bad spec, unreadable inputs): Argo's "Error"
