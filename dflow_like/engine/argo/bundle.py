"""The bundle a run's pods get as an input artifact, so a stock ``python:3.11`` image works.

Layout (a directory, uploaded as one ``.tgz``; Argo unpacks it at ``/tmp/dflow_like/bundle``):

- ``lib/``: ``dflow_like`` and its pure-Python dependencies (jsonpickle, typeguard,
  cloudpickle, typing_extensions) copied from the current environment, plus every
  ``upload_packages`` / ``python_packages`` path. Pods *append* ``lib`` to ``sys.path``,
  so an image that has dflow_like installed keeps its own copy.
- ``templates.pkl``: the Python OP templates by manifest name, cloudpickled with the
  classes and functions of ``__main__`` (scripts, notebooks); OP modules that live
  outside site-packages travel by value too.
- ``reuse.json``: ``key → outputs`` of the steps given to ``submit(reuse_step=...)``.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import site
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import cloudpickle

from ..._credentials import pickle_refusing_credentials
from ...python.template import PythonOPTemplate, upload_packages
from ...records import StepRecord
from ...runner.namespace import main_namespace

__all__ = ["DEPENDENCIES", "build_bundle", "reuse_table", "upload_bundle"]

DEPENDENCIES = ("dflow_like", "jsonpickle", "typeguard", "cloudpickle", "typing_extensions")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.so")


def _copy_path(path: Path, lib: Path) -> None:
    target = lib / path.name
    if path.is_dir():
        shutil.copytree(path, target, ignore=_IGNORE, dirs_exist_ok=True)
    else:
        shutil.copy2(path, target)


def _copy_package(name: str, lib: Path) -> None:
    """Copy package ``name`` as Python imports it, not as one folder.

    An editable install may map a subpackage elsewhere (``package_dir``: ``dflow_like.ops``
    lives in ``ops/``): every imported submodule whose file is not where the package folder
    put it is copied to its dotted place too.
    """
    _copy_path(_module_path(name), lib)
    for modname, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not modname.startswith(name + ".") or not file or not file.endswith(".py"):
            continue
        rel = Path(*modname.split("."))
        source = Path(file)
        if source.name == "__init__.py":
            if not (lib / rel / "__init__.py").exists():
                shutil.copytree(source.parent, lib / rel, ignore=_IGNORE, dirs_exist_ok=True)
        elif not (lib / rel).with_suffix(".py").exists():
            (lib / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, (lib / rel).with_suffix(".py"))


def _module_path(name: str) -> Path:
    module = importlib.import_module(name)
    file = Path(str(module.__file__))
    return file.parent if file.name == "__init__.py" else file


def _installed_roots() -> list[str]:
    roots = [sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    roots += list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    return [os.path.realpath(r) for r in roots if r]


def _by_value_modules(templates: Iterable[PythonOPTemplate]) -> list[ModuleType]:
    """User modules (outside site-packages and dflow_like) that OP classes come from."""
    installed = _installed_roots()
    modules: list[ModuleType] = []
    for template in templates:
        module = sys.modules.get(template.op_class.__module__)
        file = getattr(module, "__file__", None)
        if module is None or not file or module.__name__ == "__main__":
            continue
        if module.__name__.split(".")[0] == "dflow_like":
            continue
        real = os.path.realpath(file)
        if not any(real.startswith(root + os.sep) for root in installed) and module not in modules:
            modules.append(module)
    return modules


def _beside(modules: Iterable[ModuleType]) -> list[Path]:
    """Top-level user modules and packages in the directories of ``modules`` and the driver.

    OP modules travel by value, but what they import from beside them (``from helpers
    import f``) is pickled by name; those sources are copied into ``lib`` so pods import
    them as the driver did (as source: no bytecode of the submitting Python).
    """
    main = sys.modules.get("__main__")
    roots = {Path(str(m.__file__)).resolve().parent for m in modules if getattr(m, "__file__", None)}
    main_file = getattr(main, "__file__", None)
    if main_file:
        roots.add(Path(str(main_file)).resolve().parent)
    installed = _installed_roots()
    found: dict[Path, None] = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        top = name.split(".")[0]
        if not file or top == "dflow_like" or name == "__main__":
            continue
        real = os.path.realpath(file)
        if any(real.startswith(root + os.sep) for root in installed):
            continue
        for root in roots:
            for candidate in (root / top, root / f"{top}.py"):
                if candidate.exists() and real.startswith(str(candidate)):
                    found[candidate] = None
    return list(found)


def reuse_table(records: Iterable[StepRecord]) -> dict[str, Any]:
    """``key → {"parameters": wire values, "artifacts": ArtifactRef JSON}`` of keyed records."""
    table: dict[str, Any] = {}
    for record in records:
        if not record.key:
            continue
        table[record.key] = {
            "name": record.name,
            "workflow_id": record.workflow_id,
            "parameters": {n: p.raw for n, p in record.outputs.parameters.items()},
            "artifacts": {n: a.to_json() for n, a in record.outputs.artifacts.items()},
        }
    return table


def build_bundle(dest: Path, templates: dict[str, PythonOPTemplate], reuse: list[StepRecord] | None = None) -> Path:
    """Write the bundle directory at ``dest``; returns ``dest``."""
    lib = dest / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    for name in DEPENDENCIES:
        _copy_package(name, lib)
    extra = list(upload_packages) + [p for t in templates.values() for p in t.python_packages]
    for package in dict.fromkeys(extra):
        _copy_path(Path(package).resolve(), lib)
    modules = _by_value_modules(templates.values())
    for path in _beside(modules):
        if not (lib / path.name).exists():
            _copy_path(path, lib)
    for module in modules:
        cloudpickle.register_pickle_by_value(module)
    try:
        data = pickle_refusing_credentials(
            {"templates": templates, "namespace": main_namespace()}, "the Argo bundle's templates.pkl"
        )
        (dest / "templates.pkl").write_bytes(data)
    finally:
        for module in modules:
            cloudpickle.unregister_pickle_by_value(module)
    (dest / "reuse.json").write_text(json.dumps(reuse_table(reuse or [])))
    return dest


def upload_bundle(directory: Path, key: str) -> str:
    """Upload the bundle as one ``.tgz`` object; returns its key."""
    from ...storage import get_storage_client, put_tree

    put_tree(get_storage_client(), str(directory), key, archive="tar")
    return key
