"""The code part of a cache key: an OP's source and what it uses from the user's modules.

Hashed conservatively: the OP's own source (as its syntax tree, so a comment or a
blank line does not count) plus, followed by name from that source, every function
and class of the user's modules it refers to (recursively), the module-level
constants it reads, and the version of each third-party package it touches. An
edit elsewhere in a module it imports from (another function, a comment) changes
nothing; an edit of anything it reaches does. A whole module counts only when the
code passes the module itself around (``f(helpers)``), not just ``helpers.f``.

It runs in the submitting process, where the user's sources are (an OP defined in
a script's ``__main__`` travels to the engine by value, without its file).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import sys
import sysconfig
import textwrap
import types
from pathlib import Path
from typing import Any

__all__ = ["code_digest"]

_MAX_DEPTH = 8
_CONSTANTS = (int, float, str, bytes, bool, type(None))


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    return tuple(str(Path(p).resolve()) for p in roots)


def _is_user_module(module: types.ModuleType | None) -> bool:
    """Code the user may edit: not the standard library, not an installed package, not dflow_like's core."""
    if module is None:
        return False
    name = module.__name__
    if name == "dflow_like.ops" or name.startswith("dflow_like.ops."):
        return True  # the example OPs shipped with dflow_like are OPs like the user's
    if name.split(".")[0] in sys.stdlib_module_names or name.split(".")[0] == "dflow_like":
        return False
    file = getattr(module, "__file__", None)
    if file is None:
        return name == "__main__"
    resolved = str(Path(file).resolve())
    return not any(resolved.startswith(root + "/") for root in _library_roots()) and "site-packages" not in resolved


def _version(module: types.ModuleType) -> str:
    top = sys.modules.get(module.__name__.split(".")[0], module)
    return str(getattr(top, "__version__", ""))


def _tree_text(obj: Any) -> tuple[str, ast.AST] | None:
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return None
    return ast.dump(tree), tree


def _references(tree: ast.AST) -> tuple[set[str], set[tuple[str, str]]]:
    """Bare names, and ``name.attr`` pairs, that the code reads."""
    names: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    attribute_bases: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pairs.add((node.value.id, node.attr))
            attribute_bases.add(id(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in attribute_bases:
            names.add(node.id)
    return names, pairs


def _namespace(obj: Any) -> dict[str, Any]:
    if isinstance(obj, types.FunctionType):
        return obj.__globals__
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    return vars(module) if module is not None else {}


class _Digest:
    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.seen: set[int] = set()

    def add(self, label: str, text: str) -> None:
        self.hash.update(f"{label}\0{text}\0".encode())

    def code(self, obj: Any, depth: int) -> None:
        """An object's source, then whatever of the user's it refers to."""
        if id(obj) in self.seen or depth > _MAX_DEPTH:
            return
        self.seen.add(id(obj))
        label = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', type(obj).__name__)}"
        parsed = _tree_text(obj)
        if parsed is None:  # no source (a C extension, an exec'd string): its identity, conservatively
            self.add(label, repr(obj))
            return
        text, tree = parsed
        self.add(label, text)
        namespace = _namespace(obj)
        names, pairs = _references(tree)
        for name in sorted(names):
            if name in namespace:
                self.value(name, namespace[name], depth, whole_module=True)
        for base, attr in sorted(pairs):
            target = namespace.get(base)
            if isinstance(target, types.ModuleType):
                if _is_user_module(target) and hasattr(target, attr):
                    self.value(f"{base}.{attr}", getattr(target, attr), depth, whole_module=True)
                else:
                    self.value(base, target, depth, whole_module=False)
            elif target is not None:
                self.value(base, target, depth, whole_module=True)
        if isinstance(obj, type):
            for parent in obj.__mro__[1:]:
                if _is_user_module(sys.modules.get(parent.__module__)):
                    self.code(parent, depth + 1)

    def value(self, name: str, value: Any, depth: int, whole_module: bool) -> None:
        if isinstance(value, types.ModuleType):
            if not _is_user_module(value):
                self.add(f"module {name}", f"{value.__name__} {_version(value)}")
            elif whole_module and id(value) not in self.seen:
                self.seen.add(id(value))
                parsed = _tree_text(value)
                self.add(f"module {name}", parsed[0] if parsed else value.__name__)
            return
        if isinstance(value, (types.FunctionType, type)):
            module = sys.modules.get(getattr(value, "__module__", "") or "")
            if _is_user_module(module):
                self.code(value, depth + 1)
            elif module is not None:
                self.add(
                    f"library {name}", f"{module.__name__}.{getattr(value, '__qualname__', '')} {_version(module)}"
                )
            return
        if isinstance(value, _CONSTANTS) or _is_constant_container(value):
            self.add(f"constant {name}", repr(value))


def _is_constant_container(value: Any, budget: int = 1000) -> bool:
    if isinstance(value, (tuple, list, frozenset, set)):
        return len(value) <= budget and all(isinstance(v, _CONSTANTS) for v in value)
    if isinstance(value, dict):
        return len(value) <= budget and all(isinstance(v, _CONSTANTS) for v in (*value, *value.values()))
    return False


def code_digest(op_class: type) -> str:
    """SHA-256 (hex) of an OP's code and of what it uses from the user's modules.

    For an ``@OP.function`` OP, the function it wraps is the code.
    """
    digest = _Digest()
    func = op_class.__dict__.get("func")
    target = func.__func__ if isinstance(func, staticmethod) else func
    digest.code(target if isinstance(target, types.FunctionType) else op_class, 0)
    return digest.hash.hexdigest()
