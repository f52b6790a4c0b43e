"""Entry point of a local run's engine process (started by ``Workflow.submit``)."""

import os
import sys

from .daemon import main

code = main()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)  # state is committed and closed; skip interpreter teardown (the caller may be waiting)
