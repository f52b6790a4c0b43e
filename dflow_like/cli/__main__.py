"""``python -m dflow_like.cli``: the same as the ``dflow-like`` command."""

import sys

from .main import main

sys.exit(main())
