"""Local folders in the Hub repo's layout: ``<root>/<component>/<variant>``."""

from __future__ import annotations

import os
from pathlib import Path

from ..constants import COMPONENTS, CONFIG_NAME, DEFAULT_VARIANT
from ..errors import CheckpointError
from .registry import list_variants


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
        >>> from lcr_hub.checkpoint import EMBEDDED_CHECKPOINTS
        >>> component_folder(EMBEDDED_CHECKPOINTS, "classifier").name
        'classifier'
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
    released = sorted({v.name for v in list_variants() if v.name.startswith(f"{component}/")})  # one name per variant, however many releases
    if released:
        return f"Released {component} variants: {released} (download with `hf download` or load by Hub repo id)."
    how = "train one (see the README's training section)"
    return (f"This release has no {component} checkpoint: neither the embedded checkpoints nor lcr_hub's registry "
            f"of released variants hold one; {how}. Pass a folder holding {component}/config.json to use your own.")
