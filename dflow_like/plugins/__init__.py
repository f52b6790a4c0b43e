"""dflow's ``plugins`` import paths, so a dflow program runs with its imports renamed.

dflow keeps some executors in ``dflow/plugins/`` (``from dflow.plugins.dispatcher import
DispatcherExecutor``); the same names import from here, and so does its launching
plugin (``OP_to_parser``: a command line for one OP or template). dflow's plugins for services
this project does not run (Bohrium, Lebesgue, OSS, Ray, its metadata and datasets
services) are not here: importing them fails as a missing module would.
"""

__all__: list[str] = []
