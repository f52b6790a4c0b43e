"""The Python a pod image runs must be the submitting interpreter's, when we can tell.

Python OPs travel to pods as cloudpickle data (``templates.pkl`` in the bundle): classes and
functions of ``__main__`` and of user modules by value, i.e. as *bytecode* of the submitting
interpreter, which another minor version cannot load; and dflow_like itself needs
Python >= 3.10. An image whose name states its Python (``python:3.8``, ``python:3.11-slim``,
``.../python:3.12``, a ``py3.11`` tag) is checked at submit; other names are trusted.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any

from .errors import CompileError

__all__ = ["check_pod_pythons", "image_python"]

_PYTHON_TAG = re.compile(r"(?:^|/)python:(\d+)\.(\d+)(?:\.\d+)?(?![\d.])")
_PY_TAG = re.compile(r":(?:.*[-_])?py(\d+)\.(\d+)(?![\d.])")


def image_python(image: str) -> tuple[int, int] | None:
    """``(major, minor)`` an image name states, or None."""
    match = _PYTHON_TAG.search(image) or _PY_TAG.search(image)
    return (int(match[1]), int(match[2])) if match else None


def check_pod_pythons(manifest: Mapping[str, Any], python_templates: Mapping[str, Any]) -> None:
    """Raise ``CompileError`` naming the template and image whose Python cannot load the bundle."""
    here = sys.version_info[:2]
    for template in (manifest.get("spec") or {}).get("templates") or []:
        if template.get("name") not in python_templates:
            continue
        image = str((template.get("container") or {}).get("image") or "")
        stated = image_python(image)
        if stated is None or stated == here:
            continue
        raise CompileError(
            f"template {template['name']!r}: image {image!r} runs Python {stated[0]}.{stated[1]}, but the "
            f"run's OPs travel as Python {here[0]}.{here[1]} bytecode (cloudpickle) and dflow_like needs "
            f"Python >= 3.10: name an image with Python {here[0]}.{here[1]} (e.g. 'python:{here[0]}.{here[1]}')"
        )
