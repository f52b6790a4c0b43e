"""``cache=True`` on Argo: Argo's ``memoize`` with a key from the code digest and the parameter values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dflow_like import Step, Workflow, config
from dflow_like.cache.code import code_digest
from dflow_like.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate

# Argo's cacheKeyRegex (workflow/controller/cache/cache.go), for the key's static part
ARGO_KEY = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")


class Make(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"n": int, "label": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"out": Artifact(Path)})

    def execute(self, op_in: OPIO) -> OPIO:
        Path("out.txt").write_text(op_in["label"] * op_in["n"])
        return OPIO({"out": Path("out.txt")})


class Read(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"file": Artifact(Path)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"text": str})

    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"text": op_in["file"].read_text()})


def _manifest(cache: bool, make_cache: bool | None = None) -> dict[str, Any]:
    wf = Workflow("memo", cache=cache)
    make = Step("make", PythonOPTemplate(Make, cache=make_cache), parameters={"n": 2, "label": "x"})
    wf.add(make)
    wf.add(Step("read", PythonOPTemplate(Read), artifacts={"file": make.outputs.artifacts["out"]}))
    return wf.to_dict()


def _templates(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in manifest["spec"]["templates"]}


def test_a_caching_template_is_memoized_by_code_and_parameter_values() -> None:
    config["cache_max_age"] = "48h"
    memoize = _templates(_manifest(cache=True))["make"]["memoize"]
    assert memoize["cache"] == {"configMap": {"name": "dflow"}} and memoize["maxAge"] == "48h"
    static, expression = memoize["key"].split("-{{=")
    assert ARGO_KEY.match(static) and static.startswith(f"dflow-like-{code_digest(Make)[:16]}-")
    names = sorted(p["name"] for p in _templates(_manifest(cache=True))["make"]["inputs"]["parameters"])
    assert {"n", "label"} <= set(names)
    hashed = " + ".join(f"sprig.sha256sum(inputs.parameters['{n}'])" for n in names)
    assert expression == f"sprig.sha256sum({hashed})}}}}"


def test_argo_cannot_key_artifact_contents_so_such_templates_run_each_time() -> None:
    assert "memoize" not in _templates(_manifest(cache=True))["read"]


def test_no_memoize_without_cache_and_a_template_may_opt_in_alone() -> None:
    assert all("memoize" not in t for t in _manifest(cache=False)["spec"]["templates"])
    assert "memoize" in _templates(_manifest(cache=False, make_cache=True))["make"]
    assert "memoize" not in _templates(_manifest(cache=True, make_cache=False))["make"]


def test_the_memoized_manifest_passes_argos_schemas_and_lint() -> None:
    wf = Workflow("memo", cache=True)
    wf.add(Step("make", PythonOPTemplate(Make), parameters={"n": 2, "label": "x"}))
    assert wf.lint() == []


def test_dflows_memoize_key_compiles_as_dflow_writes_it() -> None:
    wf = Workflow("memo")
    wf.add(Step("make", PythonOPTemplate(Make, memoize_key="make-v1"), parameters={"n": 2, "label": "x"}))
    # dflow's OPTemplate.handle_key: V1alpha1Memoize(key=memoize_key, cache=ConfigMap "dflow-<key>")
    assert _templates(wf.to_dict())["make"]["memoize"] == {
        "key": "make-v1",
        "cache": {"configMap": {"name": "dflow-make-v1"}},
    }
