"""Errors with stable codes: the same code in a CLI record, an HTTP 422 and a dead letter."""

from __future__ import annotations


class SnapscribeError(Exception):
    """Base error; ``code`` is stable and machine-readable, the message is for people."""

    code = "internal_error"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class IntakeError(SnapscribeError):
    """The upload is not a sane image. Codes:

    ``empty_file``, ``file_too_large``, ``not_an_image``, ``unsupported_format``,
    ``truncated_image``, ``corrupt_image``, ``decompression_bomb``, ``dimensions_too_large``,
    ``image_too_small``, ``unreadable_file``.
    """

    code = "corrupt_image"


class ConfigError(SnapscribeError):
    code = "config_error"


class EngineError(SnapscribeError):
    """A model or endpoint failed; the pipeline records it and, where it can, falls back."""

    code = "engine_error"
