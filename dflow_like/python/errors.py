"""Errors an OP raises to steer retries, and the errors we raise for bad input."""

from __future__ import annotations

__all__ = ["FatalError", "SignatureError", "TransientError"]


class TransientError(Exception):
    """A failure worth retrying (network blip, busy licence server): see ``retry_on_transient_error``."""


class FatalError(Exception):
    """A failure no retry can fix: the step fails at once, whatever the retry settings."""


class SignatureError(TypeError):
    """Inputs or outputs that do not match an OP's signature (names the OP and the field)."""
