"""Where artifacts live in the manifest: S3 locations, leaf outputs and gathered outputs.

Fan-in design (Argo does not aggregate artifacts of looped steps): a looped Python
step runs a *gather* variant of its template whose output artifacts are stored
unarchived under ``<run>/<step path>/<artifact>/<item>``; the consumer receives the
prefix ``<run>/<step path>/<artifact>`` as an input artifact, so its pod sees one
sub-directory per item (each carrying its layout file) and the runner gathers them
in item order. The step path is unique per invocation: every Steps/DAG template
takes a hidden ``dflow_path`` input that each call extends with the step name (and
the item for looped calls), so recursion and nested loops never share a prefix.
"""

from __future__ import annotations

from typing import Any

from ....artifacts import ArtifactRef
from .errors import CompileError
from .options import CompileOptions

__all__ = [
    "GATHER_KEY",
    "INPUTS_DIR",
    "OUTPUTS_DIR",
    "PARAMS_DIR",
    "gathered_argument",
    "literal_argument",
    "location",
    "output_key",
]

INPUTS_DIR = "/tmp/inputs/artifacts"
OUTPUTS_DIR = "/tmp/outputs/artifacts"
PARAMS_DIR = "/tmp/outputs/parameters"
GATHER_KEY = "{{workflow.name}}/{{inputs.parameters.dflow_group}}/%s/{{inputs.parameters.dflow_item}}"
_GROUP_PREFIX = "{{workflow.name}}/{{inputs.parameters.dflow_path}}/%s/%s"


def location(key: str, opts: CompileOptions, bucket: str = "") -> dict[str, Any]:
    """The ``s3`` block for ``key``: credentials only as Secret references."""
    s3 = opts.s3
    if s3.mode != "secret":
        return {"s3": {"key": key}}
    block: dict[str, Any] = {
        "endpoint": s3.endpoint,
        "bucket": bucket or s3.bucket,
        "insecure": s3.insecure,
        "accessKeySecret": {"name": s3.secret_name, "key": s3.access_key_key},
        "secretKeySecret": {"name": s3.secret_name, "key": s3.secret_key_key},
        "key": key,
    }
    if s3.region:
        block["region"] = s3.region
    return {"s3": block}


def output_key(name: str, archive: str | None, opts: CompileOptions) -> str:
    """The key of a leaf's output artifact: unique per pod."""
    suffix = ".tgz" if archive else ""
    return opts.key(f"{{{{workflow.name}}}}/{{{{pod.name}}}}/{name}{suffix}")


def literal_argument(owner: str, name: str, ref: ArtifactRef, opts: CompileOptions) -> dict[str, Any]:
    """An argument from ``upload_artifact()`` (or a previous run's output): its stored tree."""
    if len(ref.parts) != 1:
        raise CompileError(
            f"{owner}: artifact {name!r} has {len(ref.parts)} stored parts; on Argo an "
            "artifact argument must be one stored tree (upload the files together)"
        )
    tree = ref.parts[0].tree
    if tree.storage != "s3":
        raise CompileError(
            f"{owner}: artifact {name!r} is stored locally ({tree.key}); on Argo upload it "
            "with upload_artifact() while config['host'] or config['mode']='argo' is set"
        )
    if tree.bucket and tree.bucket != opts.s3.bucket and opts.s3.mode != "secret":
        # A location without endpoint is partial: Argo's executor replaces everything but the
        # key with the artifact repository's (ArtifactLocation.Relocate, pkg/apis/workflow/
        # v1alpha1/workflow_types.go), so {key, bucket} would read the repository's bucket.
        raise CompileError(
            f"{owner}: artifact {name!r} is in bucket {tree.bucket!r}, but without s3_config['secret_name'] "
            "the manifest can only name a key, which Argo reads from its artifact repository's bucket"
            + (f" ({opts.s3.bucket!r})" if opts.s3.bucket else "")
            + "; set s3_config['secret_name'] (full locations with credentials by reference) or upload it "
            "to that bucket"
        )
    arg: dict[str, Any] = {"name": name, **location(tree.key, opts, tree.bucket)}
    if tree.archive is None:
        arg["archive"] = {"none": {}}
    return arg


def gathered_argument(name: str, step_name: str, artifact: str, opts: CompileOptions) -> dict[str, Any]:
    """The prefix under which every item of looped step ``step_name`` stored ``artifact``."""
    key = opts.key(_GROUP_PREFIX % (step_name, artifact))
    # Optional: a loop with no items (or none that succeeded) stored nothing under the prefix,
    # and the argument's flag is the one Argo's executor honours (ProcessArgs in
    # workflow/common/util.go puts the argument in the input's place); the pod then gets an
    # empty gathered artifact (``dflow_gathered``, see gathered.py).
    return {"name": name, **location(key, opts), "optional": True}
