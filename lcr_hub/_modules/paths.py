"""Where the embedded checkpoints live."""

from __future__ import annotations

import os
from pathlib import Path

from ..constants import CHECKPOINTS_ENV, CONFIG_NAME
from ..errors import CheckpointError

#: The repository's `checkpoints/` folder (an editable install, or a source checkout).
REPO_CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"


def checkpoints_root() -> Path:
    """The folder holding the embedded checkpoints: ``$LCR_HUB_CHECKPOINTS`` or the repo's."""
    return Path(os.environ.get(CHECKPOINTS_ENV) or REPO_CHECKPOINTS)


def default_checkpoint(component: str) -> Path:
    """The embedded checkpoint folder of a component (``detector`` or ``classifier``).

    Raises:
        CheckpointError: The folder is missing (lcr_hub was installed without its repo).
    """
    path = checkpoints_root() / component
    if not (path / CONFIG_NAME).is_file():
        raise CheckpointError(
            f"The embedded {component} checkpoint is not at {path}. Install lcr_hub from its "
            f"repository with `pip install -e .`, set {CHECKPOINTS_ENV} to the folder holding "
            f"`{component}/`, or pass a checkpoint folder explicitly."
        )
    return path
