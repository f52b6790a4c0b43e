"""``python -m dflow_like.runner ATTEMPT_DIR``: run one step in a fresh process (Slurm, pods)."""

import sys

from .remote_entry import main

sys.exit(main(sys.argv[1:]))
