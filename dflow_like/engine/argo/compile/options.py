"""What the compiler needs from the settings, read once per compile (never at import).

Three artifact-repository modes, chosen from ``s3_config``:

- ``repo``: ``repo_key`` names an artifact repository of the cluster
  (``spec.artifactRepositoryRef``); artifacts carry only ``s3.key``;
- ``secret``: ``secret_name`` names a Kubernetes Secret holding the S3 keys; every
  artifact carries a full ``s3`` block whose credentials are *references* to it;
- ``default``: neither is set; artifacts carry only ``s3.key`` and Argo uses the
  namespace's default artifact repository.

The access and secret keys themselves are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...._config import config, s3_config

__all__ = ["BUNDLE_KEY", "CompileOptions", "S3Options"]

# The bundle of a run is stored under the run's own (server-side) name.
BUNDLE_KEY = "dflow_like/bundles/{{workflow.name}}.tgz"


@dataclass(frozen=True)
class S3Options:
    mode: str = "default"  # "repo" | "secret" | "default"
    endpoint: str = ""
    bucket: str = ""
    insecure: bool = True
    region: str = ""
    secret_name: str = ""
    access_key_key: str = "accesskey"
    secret_key_key: str = "secretkey"
    prefix: str = ""
    repo_key: str = ""

    @classmethod
    def from_config(cls) -> S3Options:
        repo_key = str(s3_config["repo_key"] or "")
        secret = str(s3_config["secret_name"] or "")
        mode = "repo" if repo_key else "secret" if secret else "default"
        return cls(
            mode=mode,
            endpoint=str(s3_config["endpoint"] or ""),
            bucket=str(s3_config["bucket_name"] or ""),
            insecure=not bool(s3_config["secure"]),
            region=str(s3_config["region"] or ""),
            secret_name=secret,
            access_key_key=str(s3_config["access_key_secret_key"] or "accesskey"),
            secret_key_key=str(s3_config["secret_key_secret_key"] or "secretkey"),
            prefix=str(s3_config["prefix"] or ""),
            repo_key=repo_key,
        )


@dataclass(frozen=True)
class CompileOptions:
    """Settings of one compile; ``from_config()`` reads ``config``/``s3_config``."""

    image: str = "python:3.11"
    image_pull_policy: str = ""
    s3: S3Options = field(default_factory=S3Options)
    bundle_key: str = BUNDLE_KEY
    ttl_seconds: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls) -> CompileOptions:
        return cls(
            image=str(config["image"] or "python:3.11"),
            image_pull_policy=str(config["image_pull_policy"] or ""),
            s3=S3Options.from_config(),
            ttl_seconds=int(config["ttl_seconds_after_finished"] or 0),
        )

    def key(self, rest: str) -> str:
        """An object key under ``s3_config["prefix"]``."""
        return f"{self.s3.prefix}{rest}"
