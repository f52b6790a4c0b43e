"""Content-addressed step caching: ``PythonOPTemplate(..., cache=True)`` or ``Workflow(..., cache=True)``.

A step is not run again when a previous step of the same template code, settings
and inputs (parameter values, artifact contents) succeeded: its outputs are reused
by reference and its record says ``cached from <run>/<step>``. See ``code`` (what
of the code counts), ``content`` (artifacts), ``key`` and ``index`` (where entries live).
"""

from __future__ import annotations

from .index import CacheEntry, clear, max_age_seconds, open_index

__all__ = ["CacheEntry", "clear", "max_age_seconds", "open_index"]
