"""Entry point of a local run's engine process (started by ``Workflow.submit``)."""

import sys

from .daemon import main

sys.exit(main())
