"""The ``dflow-like`` command line: run, list, status, logs, download, resume."""

from .main import main

__all__ = ["main"]
