"""LCR data: load and validate JSONL, consistent twins, splits, and the shared text format.

Example:
    >>> from lcr_hub.data import SAMPLE_DATA_PATH, load_lcr_dataset, build_detection_dataset, train_validation_split
    >>> rows = load_lcr_dataset(SAMPLE_DATA_PATH)
    >>> train, validation = train_validation_split(build_detection_dataset(rows))
    >>> len(rows), len(train) + len(validation)
    (12, 24)
"""

from pathlib import Path

from .formatting import (
    FormattedExample,
    document_separator,
    format_example,
    tokenize_examples,
)
from .loading import (
    LCR_FEATURES,
    DuplicateReport,
    LCRData,
    load_lcr_data,
    load_lcr_dataset,
    parse_source,
    resolve_data_files,
)
from .prompts import format_prompt, uses_chat_template
from .sources import parse_hub_dataset
from .splits import train_validation_split
from .twins import build_detection_dataset, make_consistent_twin, row_has_conflict

#: The hand-written sample rows shipped with the package (default data of `lcr-hub evaluate`).
SAMPLE_DATA_PATH: Path = Path(__file__).with_name("sample.jsonl")

# The public API of lcr_hub.data. The other names imported above (FormattedExample,
# document_separator, parse_hub_dataset, parse_source, resolve_data_files, row_has_conflict,
# tokenize_examples, uses_chat_template) serve lcr_hub's own layers below this one.
__all__ = [
    "LCR_FEATURES",
    "SAMPLE_DATA_PATH",
    "DuplicateReport",
    "LCRData",
    "build_detection_dataset",
    "format_example",
    "format_prompt",
    "load_lcr_data",
    "load_lcr_dataset",
    "make_consistent_twin",
    "train_validation_split",
]
