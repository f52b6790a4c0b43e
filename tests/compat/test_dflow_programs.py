"""dflow's own test programs pass on dflow_like with only the imports renamed.

The programs are fetched from the pydflow sdist at run time (cached), never committed: see
``dflow_programs.py``. Without network the tests skip, except under ``CI=true``, where a
missing check must not pass silently.
"""

from __future__ import annotations

import os

import pytest

from tests.compat import dflow_programs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def program_results(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dflow_programs.ProgramResult]:
    """Run every selected program once, in parallel: they mostly sleep in their polling loops."""
    selected = [
        item.callspec.params["program"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_dflow_program" and hasattr(item, "callspec")
    ]
    root = tmp_path_factory.mktemp("dflow-programs")
    try:
        sdist = dflow_programs.fetch_sdist(dflow_programs.default_cache_dir())
        scripts = dflow_programs.extract_programs(sdist, root / "src", selected or dflow_programs.PROGRAMS)
    except dflow_programs.FetchError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"cannot fetch dflow's test programs under CI: {exc}")
        pytest.skip(f"cannot fetch dflow's test programs: {exc}")
    return dflow_programs.run_programs(scripts, root / "run")


@pytest.mark.parametrize("program", dflow_programs.PROGRAMS)
def test_dflow_program(program: str, program_results: dict[str, dflow_programs.ProgramResult]) -> None:
    result = program_results[program]
    tail = "\n".join(result.output.splitlines()[-40:])
    assert result.ok, (
        f"dflow's tests/test_{program}.py on dflow_like: {result.verdict} after {result.seconds:.1f} s\n{tail}"
    )
