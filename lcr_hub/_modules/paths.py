"""Where the embedded checkpoints live."""

from __future__ import annotations

import os
from pathlib import Path

from ..constants import CHECKPOINTS_ENV, COMPONENTS, CONFIG_NAME, DEFAULT_VARIANT
from ..errors import CheckpointError

#: The repository holding this package (an editable install, or a source checkout).
REPO_ROOT = Path(__file__).resolve().parents[2]
#: The repository's `checkpoints/` folder.
REPO_CHECKPOINTS = REPO_ROOT / "checkpoints"


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


def component_folder(root: str | os.PathLike, component: str, variant: str | None = None) -> Path:
    """The checkpoint folder of a component inside a local checkpoints folder.

    Two layouts are understood: the Hub repo's ``<root>/<component>/<variant>`` (see
    CHECKPOINT_HOSTING_GUIDE.md), and the embedded one, ``<root>/<component>`` holding one
    checkpoint, which is the default variant (``minilm``).

    Args:
        root: A folder such as ``checkpoints/`` or a local copy of the Hub repo.
        component: ``detector``, ``refinement`` or ``classifier``.
        variant: A variant name such as ``minilm``; default: the default variant.

    Returns:
        The folder holding the component's ``config.json``.

    Raises:
        CheckpointError: No such folder; the message lists the variants that are there and,
            when there are none, what the release offers.

    Example:
        ```python
        >>> component_folder(REPO_CHECKPOINTS, "classifier").name
        'classifier'
        ```
    """
    if component not in COMPONENTS:
        raise CheckpointError(f"Unknown component {component!r}; expected one of {list(COMPONENTS)}.")
    root = Path(root)
    variant = variant or DEFAULT_VARIANT
    nested, flat = root / component / variant, root / component
    if (nested / CONFIG_NAME).is_file():
        return nested
    if variant == DEFAULT_VARIANT and (flat / CONFIG_NAME).is_file():
        return flat
    found = sorted(p.parent.name for p in flat.glob(f"*/{CONFIG_NAME}"))
    if (flat / CONFIG_NAME).is_file():
        found.append(f"{DEFAULT_VARIANT} (in {flat} itself)")
    looked = f"{nested / CONFIG_NAME}" + (f" or {flat / CONFIG_NAME}" if variant == DEFAULT_VARIANT else "")
    message = f"No {component} checkpoint of variant {variant!r} under {root} (looked for {looked})."
    if found:
        hint = f" Variants there: {found}; pass one of them as variant=. " + unavailable_hint(component)
    else:
        hint = " " + unavailable_hint(component)
    raise CheckpointError(message + hint)


def unavailable_hint(component: str) -> str:
    """How to get a component's checkpoint: the released variants, or why there are none."""
    from ..hub.registry import list_variants

    released = sorted(v.name for v in list_variants() if v.name.startswith(f"{component}/"))
    if released:
        return f"Released {component} variants: {released} (download with `hf download` or load by Hub repo id)."
    script = REPO_ROOT / "scripts" / f"train_{component}.py"
    how = (f"train one with `python {script.relative_to(REPO_ROOT)} --help`" if script.is_file()
           else "no training script for it ships in this repository yet")
    return (f"This release has no {component} checkpoint: neither the embedded checkpoints nor lcr_hub's registry "
            f"of released variants hold one; {how}. Pass a folder holding {component}/config.json to use your own.")
