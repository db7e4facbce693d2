"""The arithmetic of a training run: float64 passes whose float32 results do not depend on the CPU.

A float32 sum depends on the order its terms are added in, and torch, MKL and oneDNN pick that
order by the CPU's instruction set, so two machines train float32 weights that differ in their
last bits, and training amplifies those bits (docs/training.md). The same sums in float64 differ
only in digits that rounding the weights to float32 drops, so a ``--precision float64`` run saves the
same float32 bytes on any CPU. Its recorded figures keep :data:`~lcr_hub.constants.RECORDED_DIGITS`
significant digits, as float64 sums still differ in their last ones.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import torch
from torch import nn

from ..constants import PRECISION_FLOAT64, RECORDED_DIGITS

__all__ = ["at_least_float32", "compute_dtype", "computed_in", "rounded"]


def at_least_float32(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` in float32 when it is in a 16-bit dtype, as it is otherwise (float32, float64).

    Example:
        >>> at_least_float32(torch.ones(1, dtype=torch.bfloat16)).dtype, at_least_float32(torch.ones(1, dtype=torch.float64)).dtype
        (torch.float32, torch.float64)
    """
    return tensor.to(torch.promote_types(tensor.dtype, torch.float32))


def compute_dtype(precision: str) -> torch.dtype | None:
    """``torch.float64`` for ``"float64"``; None (the modules' own dtype) otherwise."""
    return torch.float64 if precision == PRECISION_FLOAT64 else None


@contextmanager
def computed_in(dtype: torch.dtype | None, *modules: nn.Module) -> Iterator[None]:
    """Run the block with ``modules`` cast to ``dtype`` (None: as they are), then cast them back.

    Casting float32 weights to float64 and back is exact, so the modules leave as they came.

    Example:
        >>> layer = nn.Linear(2, 1)
        >>> with computed_in(torch.float64, layer):
        ...     layer.weight.dtype
        torch.float64
        >>> layer.weight.dtype
        torch.float32
    """
    if dtype is None:
        yield
        return
    before = [next(m.parameters()).dtype for m in modules]
    for module in modules:
        module.to(dtype)
    try:
        yield
    finally:
        for module, original in zip(modules, before):
            module.to(original)


def rounded(value: Any, digits: int = RECORDED_DIGITS) -> Any:
    """``value`` with every float (in nested lists, tuples and dicts) kept to ``digits`` significant digits.

    Example:
        >>> rounded({"loss": [0.12345678901234567, 2]}, digits=4)
        {'loss': [0.1235, 2]}
    """
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(rounded(v, digits) for v in value)
    return value
