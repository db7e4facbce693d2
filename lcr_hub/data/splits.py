"""Deterministic train/validation split by id, stratified per conflict level."""

from __future__ import annotations

import random

import datasets

from ..constants import DEFAULT_SEED
from ..errors import DataError

__all__ = ["train_validation_split"]


def train_validation_split(
    dataset: datasets.Dataset,
    *,
    validation_fraction: float = 0.2,
    seed: int = DEFAULT_SEED,
) -> tuple[datasets.Dataset, datasets.Dataset]:
    """Split a dataset into train and validation sets by ``id``, stratified per level.

    For each ``conflict_level``, the level's distinct ids are sorted, shuffled with
    ``random.Random(seed)`` (a fresh generator per level) and the first
    ``round(n * validation_fraction)`` go to validation. All rows sharing an id go to the
    same side, so a detection dataset's row and its twin are never separated. The split
    depends only on the ids, levels, fraction and seed; each output keeps the input order.

    Args:
        dataset ([`datasets.Dataset`]):
            Rows with ``id`` and ``conflict_level`` columns (an LCR or detection dataset).
        validation_fraction (`float`, *optional*, defaults to `0.2`):
            The share of each level's ids that goes to validation, in ``[0, 1]``.
        seed (`int`, *optional*, defaults to `42`):
            The seed of the shuffle.

    Returns:
        `tuple[datasets.Dataset, datasets.Dataset]`: ``(train, validation)`` with disjoint ids.

    Raises:
        [`~lcr_hub.errors.DataError`]:
            If the dataset lacks an ``id`` or ``conflict_level`` column, or one id appears
            with two different levels.
        `ValueError`:
            If ``validation_fraction`` is not in ``[0, 1]``.

    Example:
        >>> from lcr_hub.data import SAMPLE_DATA_PATH, load_lcr_dataset
        >>> train, validation = train_validation_split(load_lcr_dataset(SAMPLE_DATA_PATH), validation_fraction=0.2)
        >>> set(train["id"]).isdisjoint(validation["id"])
        True
    """
    if isinstance(validation_fraction, bool) or not 0.0 <= float(validation_fraction) <= 1.0:
        raise ValueError(f"validation_fraction must be between 0 and 1, got {validation_fraction!r}.")
    for column in ("id", "conflict_level"):
        if column not in dataset.column_names:
            raise DataError(
                f"the dataset has no '{column}' column (columns: {dataset.column_names}). "
                "Fix: split datasets made by load_lcr_dataset() or build_detection_dataset().",
                field=column,
            )
    ids = list(dataset["id"])
    levels = list(dataset["conflict_level"])
    sources = list(dataset["source"]) if "source" in dataset.column_names else [None] * len(ids)

    level_of: dict[str, str] = {}
    ids_per_level: dict[str, set[str]] = {}
    for row_id, level, source in zip(ids, levels, sources):
        known = level_of.setdefault(row_id, level)
        if known != level:
            raise DataError(
                f"id {row_id!r} appears with two conflict levels ({known} and {level}), so it "
                "cannot be stratified. Fix: de-duplicate the data or give the rows distinct ids.",
                path=source,
                field="conflict_level",
            )
        ids_per_level.setdefault(level, set()).add(row_id)

    validation_ids: set[str] = set()
    for level in sorted(ids_per_level):
        level_ids = sorted(ids_per_level[level])
        random.Random(seed).shuffle(level_ids)
        validation_ids.update(level_ids[: round(len(level_ids) * validation_fraction)])

    train_indices = [i for i, row_id in enumerate(ids) if row_id not in validation_ids]
    validation_indices = [i for i, row_id in enumerate(ids) if row_id in validation_ids]
    return dataset.select(train_indices), dataset.select(validation_indices)
