"""The checkpoint folders lcr_hub ships and writes.

The embedded default checkpoints ship inside the package (``lcr_hub/checkpoints/``,
package data), byte for byte the released variants ``detector/minilm`` and
``classifier/minilm``; ``$LCR_HUB_CHECKPOINTS`` points lcr_hub at another folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from .constants import CHECKPOINTS_ENV, CONFIG_NAME
from .errors import CheckpointError

#: The embedded checkpoints (package data).
EMBEDDED_CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"


def checkpoints_root() -> Path:
    """The folder holding the embedded checkpoints: ``$LCR_HUB_CHECKPOINTS`` or the package's."""
    return Path(os.environ.get(CHECKPOINTS_ENV) or EMBEDDED_CHECKPOINTS)


def default_checkpoint(component: str) -> Path:
    """The embedded checkpoint folder of a component (``detector`` or ``classifier``).

    Args:
        component: ``detector`` or ``classifier``.

    Returns:
        The folder holding the component's ``config.json``.

    Raises:
        CheckpointError: The folder is missing (``$LCR_HUB_CHECKPOINTS`` points elsewhere).

    Example:
        >>> default_checkpoint("detector").name
        'detector'
    """
    path = checkpoints_root() / component
    if not (path / CONFIG_NAME).is_file():
        raise CheckpointError(
            f"The embedded {component} checkpoint is not at {path}. Unset {CHECKPOINTS_ENV} or point it "
            f"at a folder holding `{component}/`, or pass a checkpoint folder explicitly."
        )
    return path
