"""The one error type of the expression language."""

from __future__ import annotations

__all__ = ["ExpressionError"]


class ExpressionError(ValueError):
    """A template or expression that cannot be parsed, resolved or evaluated.

    A ``ValueError`` so callers that validate user input can catch it generically.
    ``position`` (when known) is the offset of the problem in the parsed text and
    ``reason`` the message without the location, so callers can re-anchor it.
    """

    def __init__(self, message: str, *, position: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.position = position
        self.reason = reason or message
