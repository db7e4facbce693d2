"""Training of the embedded detector and classifier heads on a frozen base encoder.

The encoder runs once per example (``encode_rows``); the heads then train on the cached
states, so an epoch costs milliseconds. Everything is seeded and runs the same batches in
the same order, so re-running a command on the same machine reproduces the weights'
sha256.
"""


from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import datasets
import torch

from .._modules.provenance import command_line, file_digests, framework, hardware
from .._modules.precision import compute_dtype, computed_in, rounded
from .._modules.seeding import seed_everything
from ..checkpoint import CheckpointMetadata, DataFile, DataSplit, TrainingData, write_checkpoint
from ..constants import (
    DEFAULT_WINDOW_OVERLAP,
    INPUT_MODE_JOINT,
    INPUT_MODE_PACKED,
    INPUT_MODE_WINDOWS,
    ON_DUPLICATE_ERROR,
    PRECISION_FLOAT32,
    SPLIT_ROLE,
    VALIDATION_SET,
    level_by_code,
)
from ..data import (
    LCR_FEATURES,
    build_detection_dataset,
    load_lcr_dataset,
    resolve_data_files,
    train_validation_split,
)
from ..data.windows import Windowing
from ..encoding.batches import EncodedRows, encode_rows, predict_head
from ..encoding.features import BaseEncoder, CausalLMBase, load_causal_base, load_encoder
from ..errors import ConfigError
from ..evaluation.metrics import classifier_metrics, detector_metrics
from ..evaluation.reference import reference_record
from ..models.configuration_lcr import LCRClassifierConfig
from ..models.modeling_lcr import LCRClassifier, LCRDetector
from ..steps import STEP_TRAIN, generate_steps, step_record
from .spans import answer_token_flags
from .heads import (
    DETECTOR_MIXER_LEARNING_RATE,
    DETECTOR_MIXING_LAYERS,
    PAIR_LOSS_WEIGHT,
    SPAN_LOSS_WEIGHT,
    document_pair_targets,
    new_detector,
    train_head,
)

# --------------------------------------------------------------------------- full runs


@dataclass
class TrainingRun:
    """What a training command needs to know.

    Attributes:
        data: LCR JSONL files or folders split by id into train and validation parts (the
            benchmark's dev split in the shipped runs); the validation part is reported as
            ``validation["benchmark_dev"]``.
        output: The checkpoint folder to write (replaced atomically).
        extra_train: Conflict rows used for training only (e.g. generated conflicts); each
            gives a positive and, through its consistent twin, a negative.
        consistent: Rows whose documents all agree, used as extra negatives (detector only).
        report: Named sets reported in the metadata and never trained on, e.g.
            ``{"natural": ["data/natural/validation.jsonl"]}``.
        seed: Seed of the split, initialisation and batch order.
        validation_fraction: Share of ids (per level) of ``data`` held out for validation.
        epochs, batch_size, learning_rate: Optimisation.
        encode_batch_size: Rows per encoder pass.
        layer_index: Encoder layer the head reads (default: half the encoder's depth).
        progress: Show progress bars.
        base: A causal LM (Hub id or folder) whose hidden states the head reads, on the
            prompt the LCR system gives it; None for the embedded encoder.
        base_revision: The causal LM's revision.
        dtype: The causal LM's dtype (``float32``, ``float16``, ``bfloat16``).
        pooling: Detector pooling (default ``documents`` on the embedded encoder, ``mean``
            on a causal LM, as the spec says).
        document_attention: The detector config's ``document_attention`` (``"tokens"`` or
            ``"query"``; documents pooling on the embedded encoder).
        input_mode: How the embedded encoder reads a row: ``"windows"`` (each document with
            the query) or ``"packed"`` (whole documents together, see
            :mod:`lcr_hub.data.windows`); a causal LM always reads its whole prompt.
        mixing_layers: Trainable blocks of a detector on the embedded encoder (default
            :data:`~lcr_hub.training.heads.DETECTOR_MIXING_LAYERS`), initialised from the
            encoder's blocks after ``layer_index``.
        device_map: Accelerate placement of the causal LM in one process (e.g. ``"auto"``
            to spread a large base over the GPUs).
        init_from: A checkpoint folder of the same shape whose weights the model starts
            from (its config's input mode may differ); None: a fresh initialisation.
        on_duplicate: ``"keep_first"`` keeps the first row of an id that repeats with
            different content instead of refusing the data (see ``load_lcr_dataset``).
        precision: ``"float64"`` runs the embedded encoder's passes, the head's training and
            its validation in float64, saves float32 weights that do not depend on the CPU's
            kernels, and records its figures to :data:`~lcr_hub.constants.RECORDED_DIGITS`
            digits (:mod:`lcr_hub._modules.precision`); ``"float32"``: as before.
    """

    data: Sequence[str]
    output: str
    extra_train: Sequence[str] = ()
    consistent: Sequence[str] = ()
    report: Mapping[str, Sequence[str]] = field(default_factory=dict)
    seed: int = 42
    validation_fraction: float = 0.2
    epochs: int | None = None
    batch_size: int = 32
    learning_rate: float | None = None
    encode_batch_size: int = 32
    layer_index: int | None = None
    progress: bool = True
    base: str | None = None
    base_revision: str | None = None
    dtype: str | None = None
    pooling: str | None = None
    document_attention: str = "tokens"
    input_mode: str = INPUT_MODE_WINDOWS
    mixing_layers: int | None = None
    device_map: str | None = None
    on_duplicate: str = ON_DUPLICATE_ERROR
    init_from: str | None = None
    precision: str = PRECISION_FLOAT32

    @property
    def compute_dtype(self) -> torch.dtype | None:
        """``torch.float64`` for a float64 run, else None (the modules' own dtype)."""
        return compute_dtype(self.precision)


def _initialise(model, run: TrainingRun, hyper: dict) -> None:
    """Load ``run.init_from``'s weights into ``model`` (strictly) and record where they came from."""
    if run.init_from is None:
        return
    from .._hashing import sha256_file
    from ..constants import WEIGHTS_NAME
    from safetensors.torch import load_file

    weights = os.path.join(run.init_from, WEIGHTS_NAME)
    try:
        model.load_state_dict(load_file(weights), strict=True)
    except (OSError, RuntimeError) as error:
        raise ConfigError(f"--init-from {run.init_from}: cannot load {weights} into {type(model).__name__}: {error}. "
                          "Fix: pass a checkpoint folder of the same component and shape.") from error
    hyper["init_from"] = {"path": run.init_from, "sha256": sha256_file(weights)}


@dataclass
class _RunData:
    files: list[dict]
    train: list[dict]  # conflicting rows used for training
    negatives: list[dict]  # consistent rows (label 0), detector only
    evaluation: dict[str, list[dict]]  # name -> conflicting rows, never trained on
    encoder: BaseEncoder
    layer: int
    windowing: Windowing | None  # encoder bases read windows; a causal LM its whole prompt

    @property
    def input(self) -> dict:
        """The config keys of the input mode (``input_mode``, ``window_overlap``)."""
        if self.windowing is None:
            return {"input_mode": INPUT_MODE_JOINT}
        mode = INPUT_MODE_PACKED if self.windowing.pack else INPUT_MODE_WINDOWS
        return {"input_mode": mode, "window_overlap": self.windowing.overlap}

    def encode(self, rows: list[dict], desc: str, run: "TrainingRun", **options) -> "EncodedRows":
        """:func:`encode_rows` of ``rows`` at the run's layer, in the run's input mode and precision."""
        if run.compute_dtype is not None:
            options.setdefault("dtype", run.compute_dtype)
        with computed_in(run.compute_dtype, self.encoder.model):
            return encode_rows(self.encoder, rows, [self.layer], desc=desc, batch_size=run.encode_batch_size,
                               progress=run.progress, windowing=self.windowing, **options)

    def predict(self, model, features: "EncodedRows", run: "TrainingRun"):
        """:func:`predict_head` in the run's precision."""
        with computed_in(run.compute_dtype, model):
            return predict_head(model, features)


def _prepare(run: TrainingRun, base: BaseEncoder | None = None) -> _RunData:
    """Seed, load and split the data, and load the base (unless ``base`` is given)."""
    seed_everything(run.seed)
    files: list[dict] = []

    def load(paths: Sequence[str], role: str) -> datasets.Dataset:
        resolved = resolve_data_files(paths)
        files.extend({**digest, "role": role} for digest in file_digests(resolved))
        return load_lcr_dataset(resolved, on_duplicate=run.on_duplicate)

    train_rows, validation_rows = train_validation_split(
        load(run.data, SPLIT_ROLE), validation_fraction=run.validation_fraction, seed=run.seed
    )
    train = train_rows.to_list() + (load(run.extra_train, "train").to_list() if run.extra_train else [])
    negatives = load(run.consistent, "train-negatives").to_list() if run.consistent else []
    evaluation = {VALIDATION_SET: validation_rows.to_list()}
    for name, paths in run.report.items():
        evaluation[name] = load(paths, f"report:{name}").to_list()
    if run.base is not None and run.precision != PRECISION_FLOAT32:
        raise ConfigError(f"--precision {run.precision} applies to the embedded encoder only; a causal --base runs "
                          "in its --dtype. Fix: drop --precision.")
    encoder = base or (load_encoder() if run.base is None else _load_causal(run))
    n_layers = encoder.model.config.get_text_config().num_hidden_layers
    layer = run.layer_index if run.layer_index is not None else n_layers // 2
    windowing = None
    if not isinstance(encoder, CausalLMBase):
        windowing = Windowing(overlap=DEFAULT_WINDOW_OVERLAP, pack=run.input_mode == INPUT_MODE_PACKED)
    return _RunData(files, train, negatives, evaluation, encoder, layer, windowing)


def _load_causal(run: TrainingRun) -> CausalLMBase:
    """The causal LM of ``run.base`` on this process's device (one process: feature extraction is not sharded)."""
    from accelerate import PartialState

    state = PartialState()
    if state.num_processes > 1:
        raise ConfigError(
            "Detector and classifier training on a causal LM runs in one process (it extracts features once, "
            "then trains a small head). Launch it without --num_processes, and spread a large base over "
            "several GPUs with --device-map auto instead."
        )
    return load_causal_base(run.base, run.base_revision, device=state.device, dtype=run.dtype, device_map=run.device_map)


def _detection_examples(rows: list[dict]) -> list[dict]:
    return build_detection_dataset(datasets.Dataset.from_list(rows, features=LCR_FEATURES)).to_list() if rows else []


def _finish(run: TrainingRun, model, component: str, prepared: _RunData, metrics: dict, history: list[float],
            hyper: dict, n_train: int) -> dict:
    """Write ``run.output`` through :func:`lcr_hub.checkpoint.write_checkpoint`; return the metadata as a dict."""
    if run.compute_dtype is not None:  # float64 sums still differ between kernels in their last digits
        hyper, metrics, history = {**hyper, "precision": run.precision}, rounded(metrics), rounded(history)
    metadata = CheckpointMetadata(
        component=component,
        command=command_line(),
        seed=run.seed,
        config=model.config.to_dict(),
        training={**hyper, "loss_history": history},
        data=TrainingData(
            files=[DataFile(**f) for f in prepared.files],
            split=DataSplit(by="id", stratified_by="conflict_level", validation_fraction=run.validation_fraction,
                            seed=run.seed),
            n_train_examples=n_train,
        ),
        framework=framework(),
        hardware=hardware(prepared.encoder.device),
        validation=metrics,
        # Every step behind these bytes: the generators of the data files read, then this run.
        steps=[*generate_steps(prepared.files), step_record(STEP_TRAIN, output=run.output)],
    )
    # Probabilities to pin for the detector and classifier; the refinement has none.
    reference = (reference_record(model, prepared.encoder, run.compute_dtype)
                 if isinstance(model, (LCRDetector, LCRClassifier)) else None)
    write_checkpoint(run.output, model, metadata, reference=reference)
    return metadata.to_dict()


def train_detector(run: TrainingRun) -> dict:
    """Train the detector on a frozen base: the embedded encoder (``documents`` pooling, with
    :data:`DETECTOR_MIXING_LAYERS` mixing blocks), or the causal LM ``run.base`` (``mean``
    pooling unless ``run.pooling`` says otherwise).

    Splits ``run.data`` by id (stratified per level, ``run.seed``), builds consistent twins
    of every conflicting row, adds ``run.consistent`` rows as negatives, encodes every
    example once, trains the head, measures it on the validation part and on each
    ``run.report`` set, and writes ``run.output`` (config, weights, metadata, model card).

    Args:
        run: The run's settings.

    Returns:
        The metadata written beside the weights.
    """
    prepared = _prepare(run)
    train_set = _detection_examples(prepared.train) + [{**row, "label": 0} for row in prepared.negatives]
    pooling = run.pooling or ("documents" if run.base is None else "mean")
    mixing = 0
    if run.base is None and pooling == "documents":
        mixing = DETECTOR_MIXING_LAYERS if run.mixing_layers is None else run.mixing_layers
        free = prepared.encoder.model.config.get_text_config().num_hidden_layers - prepared.layer
        if not 0 <= mixing <= free:
            raise ConfigError(f"--mixing-layers {mixing}: the encoder has {free} block(s) after --layer-index "
                              f"{prepared.layer} to initialise them from. Fix: pass 0..{free}.")
    elif run.mixing_layers:
        raise ConfigError("--mixing-layers applies to document pooling on the embedded encoder only; "
                          "drop it for --base or --pooling mean.")
    torch.manual_seed(run.seed)  # the head's initialisation; built before encoding, so that a bad option fails at once
    model = new_detector(
        prepared.encoder.model,
        prepared.layer,
        mixing,
        pooling=pooling,
        document_attention=run.document_attention,
        base_model_name_or_path=prepared.encoder.name_or_path,
        base_model_revision=prepared.encoder.revision,
        **prepared.input,
    )
    if pooling == "documents" and run.compute_dtype is not None:
        # As the classifier's token_attention bias: one constant added to every score of a document changes
        # nothing after its softmax, so its gradient is rounding noise, which AdamW scales up to full steps
        # (1e-13 apart between CPU kernels even in float64). Float64 runs keep it at its initial value;
        # float32 runs train it as they always did, so that recorded commands keep their meaning.
        model.doc_attention[-1].bias.requires_grad_(False)
    encode = {"mean_only": pooling == "mean"}
    # Kept in bfloat16: long rows' states are large (each batch is read back as float32).
    train_features = prepared.encode(train_set, "Encoding train", run, dtype=torch.bfloat16, **encode)
    if mixing:
        hyper = {"epochs": run.epochs or 4, "batch_size": run.batch_size, "learning_rate": run.learning_rate or 1e-3,
                 "mixer_learning_rate": DETECTOR_MIXER_LEARNING_RATE, "weight_decay": 0.01, "optimizer": "AdamW + OneCycleLR",
                 "loss": "binary cross-entropy",
                 "mixer_init": f"base blocks {prepared.layer}..{prepared.layer + mixing - 1}"}
    else:
        hyper = {"epochs": run.epochs or 30, "batch_size": run.batch_size, "learning_rate": run.learning_rate or 1e-3,
                 "weight_decay": 0.1, "optimizer": "AdamW + OneCycleLR", "loss": "binary cross-entropy"}
    pairs = pooling == "documents"
    if pairs:
        hyper["loss"] += (f" + {PAIR_LOSS_WEIGHT} x BCE of document pairs: same answer towards 0, "
                          "both stating different answers towards 1")
    spans = pairs and prepared.windowing is not None
    if spans:
        hyper["loss"] += f" + {SPAN_LOSS_WEIGHT} x -log(document attention on the answer's tokens)"
    _initialise(model, run, hyper)
    history = train_head(
        model, train_features, [row["label"] for row in train_set], epochs=hyper["epochs"], batch_size=run.batch_size,
        learning_rate=hyper["learning_rate"], mixer_learning_rate=hyper.get("mixer_learning_rate", 0.0),
        weight_decay=hyper["weight_decay"], seed=run.seed, progress=run.progress,
        pair_targets=[document_pair_targets(row["documents"]) for row in train_set] if pairs else None,
        answer_flags=answer_token_flags(prepared.encoder, train_set, prepared.windowing) if spans else None,
        dtype=run.compute_dtype or torch.float32,
    )
    metrics = {}
    for name, rows in prepared.evaluation.items():
        examples = _detection_examples(rows)
        features = prepared.encode(examples, f"Encoding {name}", run, **encode)
        metrics[name] = detector_metrics(
            [e["label"] for e in examples], prepared.predict(model, features, run), [e["conflict_level"] for e in examples],
            model.config.threshold,
        )
    return _finish(run, model, "detector", prepared, metrics, history, hyper, len(train_set))


def train_embedded_classifier(run: TrainingRun) -> dict:
    """Train the embedded taxonomy classifier head on the frozen default encoder.

    Same split as :func:`train_detector`; trains on the conflicting rows' formatted
    text (query and documents, never the annotations), measures macro-F1 on the validation
    part and on each ``run.report`` set, and writes ``run.output``. ``run.consistent`` rows
    have no level and are not used.

    Args:
        run: The run's settings.

    Returns:
        The metadata written beside the weights.
    """
    prepared = _prepare(run)
    config = LCRClassifierConfig(
        hidden_size=prepared.encoder.model.config.get_text_config().hidden_size,
        layer_index=prepared.layer,
        freeze_encoder=True,
        base_model_name_or_path=prepared.encoder.name_or_path,
        base_model_revision=prepared.encoder.revision,
        **prepared.input,
    )
    train_features = prepared.encode(prepared.train, "Encoding train", run, dtype=torch.bfloat16)
    hyper = {"epochs": run.epochs or 30, "batch_size": run.batch_size, "learning_rate": run.learning_rate or 1e-3,
             "weight_decay": 0.01, "optimizer": "AdamW + OneCycleLR",
             "loss": f"cross-entropy, label smoothing {config.label_smoothing}"}
    torch.manual_seed(run.seed)
    model = LCRClassifier(config)
    if config.pooling == "attention":
        # A constant added to every token's score changes nothing after the softmax, so its gradient
        # is rounding noise; AdamW scales noise up to full steps, and the bias then drifted by 2.5e-3
        # between two CPU types (docs/training.md, issue 27). It stays at its initial zero.
        model.token_attention.bias.requires_grad_(False)
    _initialise(model, run, hyper)
    history = train_head(
        model, train_features, [level_by_code(row["conflict_level"]).id for row in prepared.train], epochs=hyper["epochs"],
        batch_size=run.batch_size, learning_rate=hyper["learning_rate"], weight_decay=hyper["weight_decay"],
        seed=run.seed, progress=run.progress, dtype=run.compute_dtype or torch.float32,
    )
    metrics = {}
    for name, rows in prepared.evaluation.items():
        features = prepared.encode(rows, f"Encoding {name}", run)
        metrics[name] = classifier_metrics([level_by_code(row["conflict_level"]).id for row in rows],
                                           prepared.predict(model, features, run))
    return _finish(run, model, "classifier", prepared, metrics, history, hyper, len(prepared.train))
