"""Domain errors. They are turned into one clear line (CLI) or an HTTP status only at
the edge, never shown as a traceback."""

from __future__ import annotations


class EscapeHomeError(Exception):
    """Base class: the message is a plain sentence meant for the person."""


class SourceError(EscapeHomeError):
    """A video, camera or track could not be opened or read."""


class CameraUnavailable(SourceError):
    """The camera could not be opened, or stopped delivering frames."""


class ModelError(EscapeHomeError):
    """The pose model is missing or could not be built or loaded."""


class UnknownExercise(EscapeHomeError, ValueError):
    """An exercise ID that is not in the catalogue."""


class InvalidProgressLog(EscapeHomeError, ValueError):
    """An uploaded progress log failed validation."""
