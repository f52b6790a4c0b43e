"""Make the README's pictures from a real run: the notebook view and the dashboard's run page.

Run: python docs/pictures.py   (needs the [chem] and [ui] extras and Debian's chromium)

It runs the copper equation of state of tutorial 03 (20 lattice scalings fanned out,
then a fit), renders the notebook view to HTML, starts ``dflow-like ui`` on a free port, and has headless
Chromium take a screenshot of each into docs/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--hide-scrollbars",
]  # fmt: skip


def run_eos() -> str:
    import numpy as np

    from dflow_like import Step, Workflow, argo_len, argo_range
    from dflow_like.ops import BuildBulk, FitEOS, ScaleLattice, SinglePoint
    from dflow_like.python import PythonOPTemplate, Slices

    scales = [float(s) for s in np.linspace(0.95, 1.05, 20)]
    build = Step("build", PythonOPTemplate(BuildBulk), parameters={"element": "Cu", "a": 3.6})
    scale = Step(
        "scale", PythonOPTemplate(ScaleLattice),
        artifacts={"structure": build.outputs.artifacts["structure"]}, parameters={"scales": scales},
    )  # fmt: skip
    energy = Step(
        "energy",
        PythonOPTemplate(
            SinglePoint, slices=Slices("{{item}}", input_artifact=["structure"], output_parameter=["energy", "volume"])
        ),
        artifacts={"structure": scale.outputs.artifacts["structures"]},
        with_param=argo_range(argo_len(scale.outputs.parameters["scales"])),
    )
    fit = Step(
        "fit", PythonOPTemplate(FitEOS),
        parameters={"volumes": energy.outputs.parameters["volume"], "energies": energy.outputs.parameters["energy"]},
    )  # fmt: skip
    wf = Workflow(name="eos")
    for s in (build, scale, energy, fit):
        wf.add(s)
    wf.submit()
    print(f"{wf.id}: {wf.wait(timeout=600)}")
    (HERE / "notebook-view.html").write_text(
        "<!doctype html><meta charset='utf-8'><body style='font-family:sans-serif;margin:12px'>"
        f"{wf._repr_html_()}</body>"
    )
    return str(wf.id)


def screenshot(url: str, out: Path, size: str, profile: Path) -> None:
    chromium = shutil.which("chromium") or "chromium"
    subprocess.run(
        [chromium, *CHROME_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}", f"--screenshot={out}", url],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    print(f"wrote {out}")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="dflow-like-pictures-"))
    os.environ["DFLOW_LIKE_HOME"] = str(work / "home")
    os.chdir(work)
    wf_id = run_eos()
    screenshot((HERE / "notebook-view.html").as_uri(), HERE / "notebook-view.png", "760,560", work / "p1")
    (HERE / "notebook-view.html").unlink()
    server = subprocess.Popen(
        [sys.executable, "-m", "dflow_like.cli", "ui", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        found = re.search(r"(http://\S+)/\?token=(\S+)", server.stdout.readline())
        assert found, "dflow-like ui did not print its URL"
        url = f"{found.group(1)}/runs/{wf_id}?token={found.group(2)}"
        screenshot(url, HERE / "dashboard.png", "1000,900", work / "p2")
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
