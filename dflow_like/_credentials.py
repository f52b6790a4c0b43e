"""Credentials (S3 keys, the Argo token) kept off disk, out of pickles and out of step environments.

A local run's definition is cloudpickled to ``workflow.pkl``; user functions defined in
a script carry their globals along, and a storage-plugin instance in
``s3_config["storage_client"]`` holds its keys. Pickling here replaces every string
equal to a known credential with a reference by name (``s3_config.secret_key``...); the
values travel to the engine through a pipe and are put back when it unpickles, so the
file never holds them. A credential hidden inside a larger value (a URL with the key in
it) cannot be replaced: such a workflow is refused, naming the credential, never its value.

The engine keeps the values in memory (never in its environment, so neither workers nor
steps inherit them there); a step that moves artifacts through S3 keeps the S3 keys in
memory, every other step forgets them before the user's code runs.

An executor's SSH password (``DispatcherExecutor(password=...)``) is held here by name
(``hold_ssh_password``) and travels the same pipe; the executor pickles the name only, so
no pickle ever has the password, whatever its length. It is not scrubbed from pickles by
value: a password is often an ordinary word ("password"), which a pickle may hold anyway.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
from collections.abc import Iterator, Mapping
from typing import IO, Any

import cloudpickle

from ._config import config, s3_config
from .runner import pickling

__all__ = [
    "CREDENTIAL_ENV",
    "CredentialError",
    "apply_credentials",
    "drop_credentials",
    "hold_ssh_password",
    "known_credentials",
    "load_scrubbed",
    "needs_store",
    "pickle_refusing_credentials",
    "read_credentials",
    "s3_env",
    "scrubbed_pickle",
    "ssh_password",
    "write_credentials",
]

#: Settings that are credentials, by name.
_SETTINGS = (("s3_config", "access_key"), ("s3_config", "secret_key"), ("config", "token"))
#: Their environment variables: not passed on to the engine (they travel by pipe instead).
CREDENTIAL_ENV = ("DFLOW_LIKE_S3_ACCESS_KEY", "DFLOW_LIKE_S3_SECRET_KEY", "DFLOW_LIKE_TOKEN")
_SECRET_WORDS = ("secret", "password", "token", "access_key", "credential")
_TAG = "dflow-like-credential"
_MIN_LENGTH = 8  # shorter values (dev setups: "admin") also occur as ordinary words and names in a pickle
_SSH_PREFIX = "ssh-password "  # names of held SSH passwords: "ssh-password user@host:port"
_SSH_PASSWORDS: dict[str, str] = {}


class CredentialError(ValueError):
    """A credential would be written where it must not be, or is missing where needed."""


def _settings(name: str) -> Any:
    return s3_config if name == "s3_config" else config


def known_credentials() -> dict[str, str]:
    """Every credential this process knows, by name: settings, and secrets held by a storage plugin."""
    found: dict[str, str] = {}
    for section, key in _SETTINGS:
        value = _settings(section)[key]
        if isinstance(value, str) and value:
            found[f"{section}.{key}"] = value
    plugin = s3_config["storage_client"]
    if plugin is not None and not isinstance(plugin, (str, type)):
        for path, value in _secret_attributes(plugin, "s3_config.storage_client", 0, set()):
            found.setdefault(path, value)
    found.update(_SSH_PASSWORDS)
    return found


def hold_ssh_password(target: str, password: str) -> str:
    """Keep an SSH password for ``target`` (``user@host:port``) in memory; return its name.

    A pickled executor carries the name; the engine gets the value through its pipe
    (``known_credentials`` lists it). The last password given for a target is the one used.
    """
    name = _SSH_PREFIX + target
    _SSH_PASSWORDS[name] = password
    return name


def ssh_password(name: str) -> str | None:
    """The password ``hold_ssh_password`` kept under ``name``, if this process was given it."""
    return _SSH_PASSWORDS.get(name)


def _scrubbable(credentials: Mapping[str, str]) -> dict[str, str]:
    """Credentials to replace in, or refuse from, a pickle: long enough, and not SSH passwords."""
    return {n: v for n, v in credentials.items() if len(v) >= _MIN_LENGTH and not n.startswith(_SSH_PREFIX)}


def _secret_attributes(obj: Any, path: str, depth: int, seen: set[int]) -> Iterator[tuple[str, str]]:
    """String attributes named like a secret, a few objects deep (e.g. minio's credential provider)."""
    if depth > 4 or id(obj) in seen:
        return
    seen.add(id(obj))
    fields = getattr(obj, "__dict__", None)
    if not isinstance(fields, dict):
        return
    for name, value in fields.items():
        where = f"{path}.{name}"
        if isinstance(value, str):
            if value and any(word in name.lower() for word in _SECRET_WORDS):
                yield where, value
        elif not isinstance(value, (int, float, bool, bytes, type)) and value is not None:
            yield from _secret_attributes(value, where, depth + 1, seen)


class _Scrubber(pickling.Pickler):  # type: ignore[misc]
    def __init__(self, file: IO[bytes], by_value: dict[str, str]) -> None:
        super().__init__(file, protocol=cloudpickle.DEFAULT_PROTOCOL)
        self.by_value = by_value

    def persistent_id(self, obj: Any) -> tuple[str, str] | None:
        if type(obj) is str and obj in self.by_value:
            return (_TAG, self.by_value[obj])
        return None


def scrubbed_pickle(obj: object, credentials: Mapping[str, str]) -> bytes:
    """Cloudpickle ``obj`` with every credential replaced by its name.

    Raises ``CredentialError`` when a credential is still in the bytes, i.e. inside a
    larger value.
    """
    usable = _scrubbable(credentials)
    buffer = io.BytesIO()
    pickler = _Scrubber(buffer, {value: name for name, value in usable.items()})
    pickler.dump(obj)
    data = buffer.getvalue()
    _refuse(data, usable, "inside a larger value (a string, bytes or a URL built from it, e.g. in a global "
            "of a function it uses); it would be written to disk in workflow.pkl")  # fmt: skip
    return data


def pickle_refusing_credentials(obj: object, where: str) -> bytes:
    """Cloudpickle ``obj`` for a process that gets no credentials by pipe (a Slurm job, an Argo pod).

    Raises ``CredentialError`` when a known credential is in the bytes: it would be
    written to ``where``.
    """
    data = pickling.dumps(obj)
    usable = _scrubbable(known_credentials())
    _refuse(data, usable, f"(e.g. in a global of a function it uses); it would be written to {where}")
    return data


def _refuse(data: bytes, credentials: Mapping[str, str], why: str) -> None:
    for name, value in credentials.items():
        if value.encode() in data:
            raise CredentialError(
                f"the workflow carries the credential {name} {why}. Read it from dflow_like.s3_config/config "
                "(or the environment) inside the OP instead"
            )


class _Restorer(pickle.Unpickler):
    def __init__(self, file: IO[bytes], credentials: Mapping[str, str]) -> None:
        super().__init__(file)
        self.credentials = credentials

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, tuple) and len(pid) == 2 and pid[0] == _TAG:
            name = str(pid[1])
            if name not in self.credentials:
                env = {f"{s}.{k}": _settings(s).env_name(k) for s, k in _SETTINGS}.get(name)
                hint = f" (set {env})" if env else " (configure the same storage client before resuming)"
                raise CredentialError(f"the workflow needs the credential {name}, which was not given{hint}")
            return self.credentials[name]
        raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")


def load_scrubbed(file: IO[bytes], credentials: Mapping[str, str]) -> Any:
    """Unpickle what ``dump_scrubbed`` wrote, putting the credentials back."""
    return _Restorer(file, credentials).load()


def write_credentials(fd: int, credentials: Mapping[str, str]) -> None:
    """Send ``credentials`` down a pipe (then closed): they never touch the disk or an environment."""
    with contextlib.suppress(BrokenPipeError), os.fdopen(fd, "wb") as pipe:  # a dead engine: its state says so
        pipe.write(json.dumps(dict(credentials)).encode())


def read_credentials(fd: int = 0) -> dict[str, str]:
    """Read what ``write_credentials`` sent (the engine's stdin), then point ``fd`` at /dev/null."""
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, fd)
    os.close(null)
    data = b"".join(chunks)
    if not data:
        return {}
    loaded = json.loads(data)
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def apply_credentials(credentials: Mapping[str, str]) -> None:
    """Make the settings among ``credentials`` effective in this process (in memory only)."""
    for section, key in _SETTINGS:
        value = credentials.get(f"{section}.{key}")
        if value is not None:
            _settings(section)[key] = value
    _SSH_PASSWORDS.update({n: v for n, v in credentials.items() if n.startswith(_SSH_PREFIX)})


def s3_env() -> dict[str, str]:
    """The S3 keys this process holds, as the environment variables a local Slurm job reads.

    The engine holds them in memory only; ``sbatch`` on this machine passes its
    environment to the job (Slurm's default ``--export=ALL``), and the job's runner
    forgets them before the user's code unless the step moves artifacts through S3.
    """
    env: dict[str, str] = {}
    for key in ("access_key", "secret_key"):
        value = s3_config[key]
        if isinstance(value, str) and value:
            env[s3_config.env_name(key)] = value
    return env


def needs_store(store: str, artifacts: Mapping[str, Any]) -> bool:
    """Whether a step moves artifacts through S3: outputs go there, or an input comes from there.

    ``artifacts`` are a ``StepSpec``'s (``ArtifactRef.to_json()`` forms, or ``None``).
    """
    if store != "local":
        return True
    for ref in artifacts.values():
        parts = ref.get("parts", ()) if isinstance(ref, dict) else ()
        if any(part.get("tree", {}).get("storage") != "local" for part in parts):
            return True
    return False


def drop_credentials(keep_s3: bool) -> None:
    """Forget credentials in a step's process before the user's code runs.

    The Argo token and SSH passwords are never a step's business; the S3 keys stay (in
    memory, not in the environment) only when ``keep_s3``: the step moves artifacts through the store.
    """
    keys = ("access_key", "secret_key")
    held = {key: s3_config[key] for key in keys} if keep_s3 else {}  # an Argo pod has them in its env
    for name in CREDENTIAL_ENV:
        os.environ.pop(name, None)
    config["token"] = ""
    _SSH_PASSWORDS.clear()
    for key in keys:
        s3_config[key] = held.get(key, "")
    plugin = s3_config["storage_client"]
    if not keep_s3 and plugin is not None and not isinstance(plugin, (str, type)):
        s3_config["storage_client"] = None  # an instance holding its own keys
