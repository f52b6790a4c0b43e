"""``from dflow.plugins.dispatcher import DispatcherExecutor``, dflow's own import path
(dflow ``src/dflow/plugins/dispatcher.py``), for ``dflow_like.executor.DispatcherExecutor``."""

from ..executor.dispatcher import DispatcherExecutor

__all__ = ["DispatcherExecutor"]
