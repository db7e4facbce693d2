"""The typed error hierarchy of lcr_hub.

Every error raised on purpose by lcr_hub is an :class:`LCRHubError`; each subclass also
derives from the builtin exception a caller would naturally catch (``ValueError``,
``OSError``), so existing ``except`` clauses keep working.
"""

from __future__ import annotations

from pathlib import Path


class LCRHubError(Exception):
    """Base class of every error lcr_hub raises on purpose."""


class DataError(LCRHubError, ValueError):
    """An LCR data file or row is invalid.

    Attributes:
        path: The file that holds the bad row, if known.
        line: The 1-based line number in that file, if known.
        field: The offending field (dotted path such as ``documents[2].text``), if known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        where = []
        if self.path is not None:
            where.append(self.path if line is None else f"{self.path}:{line}")
        if field is not None:
            where.append(f"field '{field}'")
        prefix = f"{', '.join(where)}: " if where else ""
        super().__init__(prefix + message)


class ConfigError(LCRHubError, ValueError):
    """A model configuration is invalid or belongs to another model type."""


class CheckpointError(LCRHubError, OSError):
    """A checkpoint folder is missing files or its weights do not match its config."""


class IntegrityError(CheckpointError):
    """A file's sha256 digest differs from the pinned one ("Checkpoint hash mismatch")."""

    def __init__(self, path: str | Path, expected: str, actual: str, hint: str = "") -> None:
        self.path = str(path)
        self.expected = expected
        self.actual = actual
        message = (
            f"Checkpoint hash mismatch for {self.path}: expected sha256 {expected}, got {actual}."
        )
        if hint:
            message += f" {hint}"
        super().__init__(message)


class EncoderError(LCRHubError, OSError):
    """The base encoder named by a config cannot be found or loaded."""


class UnpinnedRevisionError(CheckpointError):
    """``require_pinned=True`` and the repo, subfolder or revision is not a release pinned in the registry."""


class UnpinnedRevisionWarning(UserWarning):
    """A Hub revision was loaded whose digests are not pinned by lcr_hub's registry (or that moves)."""


class PublishError(LCRHubError):
    """Publishing a variant was refused (existing tag, incomplete folder, ...)."""


class CalibrationDriftError(LCRHubError):
    """Recomputed outputs or calibration figures differ from those stored beside the weights.

    Its message starts with "Calibration drift detected" and says how to find the cause.
    """


class CalibrationFitError(LCRHubError):
    """``calibrate``'s fitted temperature makes held-out (cross-fitted) NLL or ECE worse; nothing was written."""


class IncompatibleEnvironmentError(LCRHubError, RuntimeError):
    """``strict_validation=True`` and a required environment check failed (see ``lcr-hub env``)."""
