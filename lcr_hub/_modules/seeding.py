"""Seeding and determinism flags, shared by evaluation and training."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and torch, and set torch's determinism flags.

    Args:
        seed: The seed.
        deterministic: True asks for deterministic kernels
            (``torch.use_deterministic_algorithms(True)``, cuDNN deterministic); False
            restores torch's defaults. cuDNN benchmark mode stays off either way.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = deterministic


