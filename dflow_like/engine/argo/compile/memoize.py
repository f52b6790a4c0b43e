"""Step caching on Argo: a caching template gets Argo's ``memoize`` with a content key.

The key starts with the same code digest the local engine uses (the OP's source and
what it reaches in the user's modules, ``dflow_like.cache.code``) and the template's
settings, then hashes every input parameter's value at run time with Sprig's
``sha256sum`` (Argo's ``{{=...}}`` expressions expose Sprig as ``sprig.*``), so the
key matches Argo's ``cacheKeyRegex`` (``^[a-zA-Z0-9][-a-zA-Z0-9]*$``,
``workflow/controller/cache/cache.go``). Argo can hash no artifact's content into a
key, so a template with input artifacts is not memoized there (it runs each time);
the local engine and Slurm cache it. Entries live in the ConfigMap ``dflow`` (the
default of dflow's ``OPTemplate.handle_key``), ``maxAge`` is ``config["cache_max_age"]``.
A template with dflow's ``memoize_key=`` (and no ``cache``) is memoized with that key, as dflow does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ...._config import config
from ....cache.key import settings_of
from ....cache.steps import code_digests
from ....graph.collect import TemplateTable
from ....graph.template import OPTemplate, caches

__all__ = ["CONFIG_MAP", "add_memoize"]

CONFIG_MAP = "dflow"


def _key(code: str, template: OPTemplate, parameters: list[str]) -> str:
    settings = hashlib.sha256(json.dumps(settings_of(template), sort_keys=True, default=str).encode()).hexdigest()
    static = f"dflow-like-{code[:16]}-{settings[:8]}"
    if not parameters:
        return static
    values = " + ".join(f"sprig.sha256sum(inputs.parameters['{name}'])" for name in parameters)
    return f"{static}-{{{{=sprig.sha256sum({values})}}}}"


def _dflow_memoize(key: str) -> dict[str, Any]:
    """dflow's own ``memoize_key=``: the user's key, in the ConfigMap ``dflow-<key>``, as
    dflow's ``OPTemplate.handle_key`` (``op_template.py``) writes it."""
    return {"key": key, "cache": {"configMap": {"name": f"{CONFIG_MAP}-{key}"}}}


def _user_artifacts(body: dict[str, Any]) -> list[str]:
    """Input artifacts other than ours (``dflow_bundle``: the code, which the digest covers)."""
    return [a["name"] for a in (body.get("inputs") or {}).get("artifacts") or [] if not a["name"].startswith("dflow_")]


def add_memoize(
    compiled: list[dict[str, Any]], table: TemplateTable, extra: dict[str, OPTemplate], workflow_cache: bool
) -> None:
    """Give every compiled caching leaf template without input artifacts its ``memoize``."""
    digests = code_digests(table, workflow_cache)
    by_name: dict[str, OPTemplate] = {**dict(table), **extra}
    for body in compiled:
        template = by_name.get(str(body.get("name")))
        if template is not None and template.memoize_key and not caches(template, workflow_cache):
            body["memoize"] = _dflow_memoize(template.memoize_key)
            continue
        if template is None or not caches(template, workflow_cache) or _user_artifacts(body):
            continue
        code = digests.get(table.name_of(template)) if template in table.by_name.values() else None
        if code is None:
            continue
        parameters = sorted(p["name"] for p in (body.get("inputs") or {}).get("parameters") or [])
        memoize: dict[str, Any] = {
            "key": _key(code, template, parameters),
            "cache": {"configMap": {"name": CONFIG_MAP}},
        }
        max_age = str(config["cache_max_age"] or "")
        if max_age:
            memoize["maxAge"] = max_age
        body["memoize"] = memoize
