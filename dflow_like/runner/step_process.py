"""What a step's own process does before the user's code runs, whichever engine started it.

The local engine's forked child (``engine/local/processes.py``) and a Slurm job
(``python -m dflow_like.runner``, ``remote_entry.py``) both call these, in this order:
``log_to`` (stdout and stderr into the step's log), then ``enter_step`` (the template's
``envs``, then credentials dropped unless the step itself stores to S3). Both find the
user's modules through the caller's ``sys.path`` put first (``namespace.use_sys_path``).
An Argo pod is the exception, by design: its ``BOOT`` *appends* the bundle's ``lib`` so
an image's own dflow_like wins (``engine/argo/bundle.py``), its ``envs`` are the
container's, and it keeps its S3 credentials to publish the outputs after the step.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

from .._credentials import drop_credentials, needs_store
from . import codes
from .spec import StepSpec

__all__ = ["enter_step", "leave_child", "log_to"]


def log_to(path: str) -> None:
    """Append this process's stdout and stderr to ``path`` (a step's log.txt)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def enter_step(spec: StepSpec) -> None:
    """The step's environment variables, and no credential it does not need (before its code)."""
    if spec.envs:
        os.environ.update(spec.envs)
    drop_credentials(keep_s3=needs_store(spec.store, spec.artifacts))


def leave_child(body: Callable[[], int]) -> NoReturn:
    """End a forked step process with ``body()``'s exit code, whatever happens.

    A traceback goes to the step's log if ``body`` raised (the code is then ERROR), the
    streams are flushed, and ``os._exit`` skips interpreter teardown: the atexit handlers
    and finalisers inherited from the parent are not the child's to run.
    """
    code = codes.ERROR
    try:
        code = body()
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
