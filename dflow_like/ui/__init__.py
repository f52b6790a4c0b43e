"""``dflow-like ui``: a local web dashboard of runs (needs the ``[ui]`` extra: Starlette, uvicorn)."""
