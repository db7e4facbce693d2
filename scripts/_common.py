"""The old entry point of the training scripts, kept for its callers.

The command lines live in the package (``lcr_hub.training.commands``, ``python -m
lcr_hub.training``), so that they work from an installed wheel.
"""

from __future__ import annotations

from typing import Callable

from lcr_hub.training.commands import TrainingCommand, run_training


def main(train: Callable, description: str, default_output: str, *, causal_base: bool = False,
         refinement: bool = False) -> int:
    """Parse ``sys.argv``, run ``train(run)`` and print where the weights went; return the exit code."""
    command = TrainingCommand("script", description, default_output, example="", causal_base=causal_base,
                              refinement=refinement)
    return run_training(command, train=train)
