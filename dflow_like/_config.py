"""Settings: ``config`` and ``s3_config``, dflow-compatible mappings.

Every key can also be given as an environment variable ``DFLOW_LIKE_<KEY>`` (and
``DFLOW_LIKE_S3_<KEY>`` for ``s3_config``); dflow's own names, ``DFLOW_<KEY>`` and
``DFLOW_S3_<KEY>`` (``DFLOW_MODE``, ``DFLOW_HOST``, ``DFLOW_S3_ENDPOINT``, ... as read by
dflow's ``config.py``), are aliases, used when ours is not set. The environment is read
when a key is looked up, never at import time (dflow reads it once, at import), so a
value set in a test or a notebook cell after import still counts. An explicit
assignment wins over the environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

__all__ = ["Settings", "config", "s3_config", "set_config", "set_s3_config"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_SECRET_KEYS = {"secret_key", "token", "access_key", "password"}


def _coerce(raw: str, default: Any, name: str) -> Any:
    """Convert an environment string to the type of the key's default."""
    if isinstance(default, bool):
        low = raw.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"environment variable {name}: expected a boolean, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"environment variable {name}: expected an integer, got {raw!r}") from None
    return raw


class Settings(MutableMapping[str, Any]):
    """A mapping of settings backed by defaults and ``<prefix><KEY>`` environment variables."""

    def __init__(self, env_prefix: str, defaults: dict[str, Any], alias_prefix: str = "") -> None:
        self._env_prefix = env_prefix
        self._alias_prefix = alias_prefix
        self._defaults = dict(defaults)
        self._values: dict[str, Any] = {}

    def env_name(self, key: str) -> str:
        return self._env_prefix + key.upper()

    def __getitem__(self, key: str) -> Any:
        if key in self._values:
            return self._values[key]
        for name in self._env_names(key):
            env = os.environ.get(name)
            if env is not None:
                return _coerce(env, self._defaults.get(key), name)
        if key in self._defaults:
            return self._defaults[key]
        raise KeyError(key)

    def _env_names(self, key: str) -> tuple[str, ...]:
        """Ours first, then dflow's alias (if this mapping has one)."""
        if not self._alias_prefix:
            return (self.env_name(key),)
        return self.env_name(key), self._alias_prefix + key.upper()

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[key] = value

    def __delitem__(self, key: str) -> None:
        del self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter({**self._defaults, **self._values})

    def __len__(self) -> int:
        return len({**self._defaults, **self._values})

    def reset(self) -> None:
        """Forget every explicit assignment (the environment and defaults remain)."""
        self._values.clear()

    def snapshot(self) -> dict[str, Any]:
        """The effective values now, as a plain dict (secrets included: never log it)."""
        return {key: self[key] for key in self}

    def __repr__(self) -> str:
        shown = {k: ("***" if k in _SECRET_KEYS and self[k] else self[k]) for k in self}
        return f"Settings({shown!r})"


def _default_home() -> str:
    return str(Path.home() / ".dflow_like")


config = Settings(
    "DFLOW_LIKE_",
    {
        # "default": local engine unless ``host`` names an Argo server;
        # "debug" (dflow's local mode): always the local engine; "argo": always Argo.
        "mode": "default",
        "home": _default_home(),
        "workers": 0,  # 0: one per CPU, plus one
        "worker_max_rss_mb": 1024,  # a warm worker above this imports no more templates' modules
        # "auto": a local run's engine is forked from the submitting process when that is
        # safe (engine/local/fork_start.py), so it inherits its imports; "spawn": always a new interpreter.
        "engine_start": "auto",
        "debug_s3": False,
        "host": "",
        "token": "",
        "namespace": "argo",
        "verify_ssl": True,
        "image": "python:3.11",
        "image_pull_policy": "",
        "ttl_seconds_after_finished": 0,
        # Unpacking a tar artifact refuses more members or bytes than these (tar bombs),
        # and more bytes than its file system has free.
        "archive_max_members": 1_000_000,
        "archive_max_bytes": 100 << 30,
        # dflow's debug mode: with detach=False (dflow's default) submit() returns once the run ends.
        "detach": False,
        # Step caching (cache=True): entries older than this are not reused (Argo's memoize.maxAge form).
        "cache_max_age": "720h",
    },
    alias_prefix="DFLOW_",
)

s3_config = Settings(
    "DFLOW_LIKE_S3_",
    {
        "endpoint": "127.0.0.1:9000",
        "access_key": "",
        "secret_key": "",
        "secure": False,
        "bucket_name": "dflow-like",
        "prefix": "",
        "region": "",
        "storage_client": None,
        # Argo: where pods find the credentials (a Kubernetes Secret, by reference).
        "secret_name": "",
        "access_key_secret_key": "accesskey",
        "secret_key_secret_key": "secretkey",
        # Argo: "" uses s3 fields above; a name uses the cluster's artifact repository.
        "repo_key": "",
    },
    alias_prefix="DFLOW_S3_",
)


def set_config(**kwargs: Any) -> None:
    """Set several ``config`` keys at once (dflow's ``set_config``)."""
    config.update(kwargs)


def set_s3_config(**kwargs: Any) -> None:
    """Set several ``s3_config`` keys at once (dflow's ``set_s3_config``)."""
    s3_config.update(kwargs)


def home_dir() -> Path:
    """The directory holding local workflow runs and the local artifact store."""
    return Path(os.path.expanduser(str(config["home"])))


def blocks_on_submit() -> bool:
    """dflow's debug mode runs the workflow inside ``submit()`` unless ``detach`` is set
    (``Workflow.submit`` in dflow's ``workflow.py``); our default mode never blocks."""
    return str(config["mode"]) == "debug" and not config["detach"]


def uses_local_engine() -> bool:
    """Whether workflows run on the embedded engine (see ``config["mode"]``)."""
    mode = str(config["mode"])
    if mode == "debug" or mode == "local":
        return True
    if mode == "argo":
        return False
    return not config["host"]
