"""Writing OPs: signatures, the OP base class, templates and fan-out (``dflow.python``'s names)."""

from .errors import FatalError, SignatureError, TransientError
from .op import OP
from .opio import OPIO, Artifact, BigParameter, OPIOSign, Parameter
from .slices import Slices
from .template import PythonOPTemplate, upload_packages

__all__ = [
    "OP",
    "OPIO",
    "Artifact",
    "BigParameter",
    "FatalError",
    "OPIOSign",
    "Parameter",
    "PythonOPTemplate",
    "SignatureError",
    "Slices",
    "TransientError",
    "upload_packages",
]
