"""Training of the embedded detector and classifier heads on a frozen base encoder.

The encoder runs once per example (``encode_rows``); the heads then train on the cached
states, so an epoch costs milliseconds. Everything is seeded and runs the same batches in
the same order, so re-running a command on the same machine reproduces the weights'
sha256.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import datasets
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ._modules.atomic import staged_folder
from ._modules.provenance import command_line, file_digests, framework, hardware
from .cards import render_model_card
from .configuration_lcr import LCRClassifierConfig, LCRDetectorConfig
from .constants import (
    LEVEL2ID,
    METADATA_NAME,
    MODEL_CARD_NAME,
    SPLIT_ROLE,
    VALIDATION_SET,
    WEIGHTS_NAME,
)
from .data import (
    LCR_FEATURES,
    build_detection_dataset,
    load_lcr_dataset,
    resolve_data_files,
    train_validation_split,
)
from .evaluation.metrics import classifier_metrics, detector_metrics
from .evaluation.reference import write_reference
from .errors import ConfigError
from .features import BaseEncoder, CausalLMBase, load_causal_base, load_encoder, sha256_file
from .modeling_lcr import LCRClassifier, LCRDetector, LCRMixingLayer


#: Trainable blocks of the embedded detector, initialised from the encoder's blocks after
#: ``layer_index``. With 0 (a head on frozen features) the detector learned the benchmark's
#: templates: 0.70-0.74 accuracy on the natural set even with generated training data.
#: Detectors on causal bases have none (their blocks are not BERT-style and large).
DETECTOR_MIXING_LAYERS = 1

#: Peak learning rate of the mixing block. At 5e-5 (detector-minilm-v4) the block barely moved
#: in 4 epochs: training loss 0.13 at the end, and 0.903 accuracy on generated rows of another
#: seed, so it underfitted even its own kind of data. At 2e-4 the loss ends at 0.06-0.07.
DETECTOR_MIXER_LEARNING_RATE = 2e-4

#: Weight of the detector's pair loss (see ``train_head``'s ``pair_targets``) beside the
#: per-example loss. With the mixer at 5e-5 it cost the benchmark (dev validation F1 0.964);
#: at 2e-4, on the same data, natural accuracy 0.856 -> 0.866 and dev F1 0.993 -> 0.987.
PAIR_LOSS_WEIGHT = 0.2


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


@dataclass
class EncodedRows:
    """Cached encoder states of a list of rows (real tokens only, no padding).

    Attributes:
        states: ``states[layer][i]`` is the ``(tokens, hidden)`` float32 states of row i.
        document_ids: Per row, ``(tokens,)`` the document index of each token (-1 for the
            query, separators and special tokens).
    """

    states: dict[int, list[torch.Tensor]]
    document_ids: list[torch.Tensor]

    def batch(self, layer: int, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Padded ``(hidden_states, attention_mask, document_mask)`` of some rows."""
        return _collate_documents([self.states[layer][i] for i in indices], [self.document_ids[i] for i in indices])


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Group indices into batches of similar length (longest first), deterministically.

    Args:
        lengths: A length per item.
        batch_size: Items per batch.

    Returns:
        Lists of indices; together they cover every index once.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


@torch.inference_mode()
def encode_rows(
    encoder: BaseEncoder,
    rows: Sequence[Mapping],
    layers: Sequence[int],
    *,
    batch_size: int = 32,
    desc: str = "Encoding",
    progress: bool = True,
    mean_only: bool = False,
) -> EncodedRows:
    """Run the frozen encoder once over every row and keep the states the heads read.

    Args:
        encoder: The base encoder.
        rows: LCR rows (mappings with ``query`` and ``documents``).
        layers: Indices into ``outputs.hidden_states`` to keep.
        batch_size: Rows per forward pass (rows are batched by length).
        desc: Progress-bar label.
        progress: Show a progress bar.
        mean_only: Keep each row's mean over its real tokens as a one-token sequence
            (document id -1) instead of every token: all a ``mean``-pooling detector reads,
            at a fraction of the memory (a causal LM's prompts are long and wide).

    Returns:
        :class:`EncodedRows` in the order of ``rows``.
    """
    formatted = [encoder.format(row["query"], row["documents"]) for row in rows]
    layers = sorted(set(layers))
    states: dict[int, list] = {k: [None] * len(rows) for k in layers}
    doc_ids: list = [None] * len(rows)
    batches = length_sorted_batches([len(f.text) for f in formatted], batch_size)
    with tqdm(total=len(rows), desc=desc, unit="row", disable=not progress) as bar:
        for batch_indices in batches:
            hidden, batch = encoder.hidden_states([formatted[i] for i in batch_indices], layers)
            for j, i in enumerate(batch_indices):
                real = batch["attention_mask"][j] > 0
                doc_ids[i] = torch.tensor([-1]) if mean_only else batch["document_mask"][j][real].clone()
                for k in layers:
                    row_states = hidden[k][j][real.to(hidden[k].device)].float()
                    states[k][i] = (row_states.mean(0, keepdim=True) if mean_only else row_states).cpu().clone()
            bar.update(len(batch_indices))
    return EncodedRows(states=states, document_ids=doc_ids)


def _collate_documents(
    states: Sequence[torch.Tensor], doc_ids: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    length = max(max(s.shape[0] for s in states), 1)
    hidden = states[0].shape[-1]
    x = torch.zeros(len(states), length, hidden, dtype=states[0].dtype)
    attention = torch.zeros(len(states), length)
    documents = torch.full((len(states), length), -1, dtype=torch.long)
    for i, (s, d) in enumerate(zip(states, doc_ids)):
        x[i, : s.shape[0]] = s
        attention[i, : s.shape[0]] = 1
        documents[i, : s.shape[0]] = d
    return x, attention, documents


def _train_loop(
    model: nn.Module,
    n: int,
    loss_of_batch: Callable[[list[int]], torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    parameter_groups: list[dict],
    weight_decay: float,
    seed: int,
    desc: str,
    progress: bool,
    lengths: Sequence[int] | None = None,
) -> list[float]:
    """AdamW + one-cycle over ``parameter_groups`` (each with its own ``lr``).

    Batches are random subsets each epoch, or, when ``lengths`` is given, fixed groups of
    similar length visited in a random order (less padding for heads that attend over the
    whole prompt).
    """
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(parameter_groups, weight_decay=weight_decay)
    buckets = length_sorted_batches(lengths, batch_size) if lengths is not None else None
    steps_per_epoch = len(buckets) if buckets is not None else (n + batch_size - 1) // batch_size
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=[group["lr"] for group in parameter_groups],
        total_steps=max(epochs * steps_per_epoch, 1), pct_start=0.1,
    )
    history = []
    model.train()
    with tqdm(total=epochs * steps_per_epoch, desc=desc, unit="batch", disable=not progress) as bar:
        for _ in range(epochs):
            if buckets is not None:
                batches = [buckets[k] for k in torch.randperm(len(buckets), generator=generator).tolist()]
            else:
                order = torch.randperm(n, generator=generator).tolist()
                batches = [order[start : start + batch_size] for start in range(0, n, batch_size)]
            total = 0.0
            for batch in batches:
                loss = loss_of_batch(batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                total += float(loss.detach()) * len(batch)
                bar.update(1)
            history.append(total / max(n, 1))
            bar.set_postfix(loss=f"{history[-1]:.4f}")
    model.eval()
    return history


@torch.no_grad()
def copy_bert_layer(target: LCRMixingLayer, block: nn.Module) -> None:
    """Copy a BERT-style encoder block (``BertLayer`` layout) into a detector mixing layer.

    Args:
        target: The mixing layer to overwrite.
        block: A block with ``attention.self.{query,key,value}``, ``attention.output.{dense,
            LayerNorm}``, ``intermediate.dense`` and ``output.{dense,LayerNorm}``.

    Raises:
        ConfigError: The block does not have that layout or its sizes differ.
    """
    pairs = {
        "query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
        "attention_output": "attention.output.dense", "attention_norm": "attention.output.LayerNorm",
        "intermediate": "intermediate.dense", "output": "output.dense", "output_norm": "output.LayerNorm",
    }
    for name, source_name in pairs.items():
        source = block.get_submodule(source_name) if _has_submodule(block, source_name) else None
        mine = getattr(target, name)
        if source is None or source.weight.shape != mine.weight.shape:
            raise ConfigError(
                f"Cannot initialise the detector's mixing layer from {type(block).__name__}: expected a BERT-style "
                f"block with '{source_name}' of shape {tuple(mine.weight.shape)}. Use mixing_layers=0 for this base."
            )
        mine.load_state_dict(source.state_dict())


def _has_submodule(module: nn.Module, name: str) -> bool:
    try:
        module.get_submodule(name)
    except AttributeError:
        return False
    return True


def document_pair_targets(documents: Sequence[Mapping[str, str]]) -> torch.Tensor:
    """Targets of the detector's pair loss for one example's documents.

    A conflicting row's label only says that *some* pair of its documents disagrees. Its
    annotations say more: two documents with the same answer agree (a value and its rewording,
    a value and a document that does not state it), and two documents that both state their
    answers, and different ones, disagree. A document "states" its answer when the answer's
    text appears in it (case-insensitively); a pair where one document has a different answer
    but does not state it (a distractor, a rewording such as "five kilometres") stays unknown.

    Args:
        documents: The example's documents, each with ``text`` and ``answer``.

    Returns:
        A ``(len(documents), len(documents))`` long tensor: 0 agree, 1 disagree, -1 unknown.

    Example:
        ```python
        >>> from lcr_hub.training import document_pair_targets
        >>> document_pair_targets([{"text": "It opened in 1911.", "answer": "1911"},
        ...                        {"text": "It opened in 1914.", "answer": "1914"},
        ...                        {"text": "A fine old hall.", "answer": "1911"}]).tolist()
        [[0, 1, 0], [1, 0, -1], [0, -1, 0]]
        ```
    """
    answers = [doc["answer"] for doc in documents]
    states = [bool(a.strip()) and a.strip().lower() in doc["text"].lower() for a, doc in zip(answers, documents)]
    n = len(documents)
    targets = torch.full((n, n), -1, dtype=torch.long)
    for i in range(n):
        for j in range(n):
            if answers[i] == answers[j]:
                targets[i, j] = 0
            elif states[i] and states[j]:
                targets[i, j] = 1
    return targets


def train_head(
    model: LCRDetector | LCRClassifier,
    features: EncodedRows,
    labels: Sequence[int],
    *,
    epochs: int = 30,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    mixer_learning_rate: float = DETECTOR_MIXER_LEARNING_RATE,
    weight_decay: float = 0.1,
    seed: int = 42,
    progress: bool = True,
    pair_targets: Sequence[torch.Tensor] | None = None,
) -> list[float]:
    """Train a detector or a frozen-encoder classifier head on cached encoder states.

    A detector with mixing layers (``config.mixing_layers > 0``) trains them at
    ``mixer_learning_rate`` (they start from the base's own blocks and need small steps),
    in bfloat16 autocast (several times faster on CPUs with AMX/AVX-512 BF16, and exactly
    repeatable on one machine), with batches of similar length.

    Args:
        model: A freshly initialised :class:`LCRDetector` or :class:`LCRClassifier`
            (``freeze_encoder=True``); trained in place and left in eval mode.
        features: Output of :func:`encode_rows` holding ``model.config.layer_index``.
        labels: Targets aligned with ``features``: 0/1 for the detector, level ids 0..3
            for the classifier.
        epochs, batch_size, learning_rate, weight_decay: Optimisation (AdamW, one-cycle).
        mixer_learning_rate: Peak learning rate of a detector's mixing layers.
        seed: Seed of the batch order and dropout.
        progress: Show a progress bar.
        pair_targets: For a ``pooling="documents"`` detector, each example's matrix from
            :func:`document_pair_targets`. Every pair of documents marked 0 is then also
            trained towards "no conflict" and every pair marked 1 towards "conflict" (weight
            :data:`PAIR_LOSS_WEIGHT`), so the comparison is taught which pair disagrees rather
            than only that some pair does.

    Returns:
        The mean training loss of each epoch.
    """
    torch.manual_seed(seed)
    dtype = torch.float32 if isinstance(model, LCRDetector) else torch.long
    y = torch.tensor(list(labels), dtype=dtype)
    layer = model.config.layer_index
    mixer = getattr(model, "mixer", None) or nn.ModuleList()
    mixer_ids = {id(p) for p in mixer.parameters()}
    groups = [{"params": [p for p in model.parameters() if id(p) not in mixer_ids], "lr": learning_rate}]
    if len(mixer):
        groups.append({"params": list(mixer.parameters()), "lr": mixer_learning_rate})

    def loss_of_batch(indices: list[int]) -> torch.Tensor:
        x, attention, documents = features.batch(layer, indices)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(len(mixer))):
            out = model(hidden_states=x, attention_mask=attention, document_mask=documents, labels=y[indices])
        if pair_targets is None:
            return out.loss
        num_docs = max(int(documents.max()) + 1, 1)
        first, second = torch.triu_indices(num_docs, num_docs, 1)
        targets = torch.full((len(indices), first.numel()), -1, dtype=torch.long)
        for row, i in enumerate(indices):
            square = torch.full((num_docs, num_docs), -1, dtype=torch.long)
            given = pair_targets[i][:num_docs, :num_docs]
            square[: given.shape[0], : given.shape[1]] = given
            targets[row] = square[first, second]
        known = targets >= 0
        if not known.any():
            return out.loss
        pair_loss = nn.functional.binary_cross_entropy_with_logits(
            out.pair_logits[known].float(), targets[known].float()
        )
        return out.loss + PAIR_LOSS_WEIGHT * pair_loss

    lengths = [s.shape[0] for s in features.states[layer]] if len(mixer) else None
    return _train_loop(
        model, len(y), loss_of_batch, epochs=epochs, batch_size=batch_size, parameter_groups=groups,
        weight_decay=weight_decay, seed=seed, desc=f"Training {type(model).__name__}", progress=progress,
        lengths=lengths,
    )


@torch.inference_mode()
def predict_head(model: LCRDetector | LCRClassifier, features: EncodedRows, batch_size: int = 64) -> np.ndarray:
    """Probabilities of cached rows: ``(rows,)`` for a detector, ``(rows, 4)`` for a classifier."""
    out = []
    n = len(features.document_ids)
    device = next(model.parameters()).device
    for start in range(0, n, batch_size):
        batch = features.batch(model.config.layer_index, range(start, min(start + batch_size, n)))
        x, attention, documents = (t.to(device) for t in batch)
        out.append(model(hidden_states=x, attention_mask=attention, document_mask=documents).probabilities.cpu())
    return torch.cat(out).float().numpy()


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
        device_map: Accelerate placement of the causal LM in one process (e.g. ``"auto"``
            to spread a large base over the GPUs).
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
    device_map: str | None = None


@dataclass
class _RunData:
    files: list[dict]
    train: list[dict]  # conflicting rows used for training
    negatives: list[dict]  # consistent rows (label 0), detector only
    evaluation: dict[str, list[dict]]  # name -> conflicting rows, never trained on
    encoder: BaseEncoder
    layer: int


def _prepare(run: TrainingRun, base: BaseEncoder | None = None) -> _RunData:
    """Seed, load and split the data, and load the base (unless ``base`` is given)."""
    seed_everything(run.seed)
    files: list[dict] = []

    def load(paths: Sequence[str], role: str) -> datasets.Dataset:
        resolved = resolve_data_files(paths)
        files.extend({**digest, "role": role} for digest in file_digests(resolved))
        return load_lcr_dataset(resolved)

    train_rows, validation_rows = train_validation_split(
        load(run.data, SPLIT_ROLE), validation_fraction=run.validation_fraction, seed=run.seed
    )
    train = train_rows.to_list() + (load(run.extra_train, "train").to_list() if run.extra_train else [])
    negatives = load(run.consistent, "train-negatives").to_list() if run.consistent else []
    evaluation = {VALIDATION_SET: validation_rows.to_list()}
    for name, paths in run.report.items():
        evaluation[name] = load(paths, f"report:{name}").to_list()
    encoder = base or (load_encoder() if run.base is None else _load_causal(run))
    n_layers = encoder.model.config.get_text_config().num_hidden_layers
    layer = run.layer_index if run.layer_index is not None else n_layers // 2
    return _RunData(files, train, negatives, evaluation, encoder, layer)


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
    with staged_folder(run.output) as staging:
        model.save_pretrained(staging)
        metadata = {
            "component": component,
            "command": command_line(),
            "seed": run.seed,
            "config": model.config.to_dict(),
            "training": {**hyper, "loss_history": history},
            "data": {
                "files": prepared.files,
                "split": {"by": "id", "stratified_by": "conflict_level", "validation_fraction": run.validation_fraction, "seed": run.seed},
                "n_train_examples": n_train,
            },
            "framework": framework(),
            "hardware": hardware(prepared.encoder.device),
            "validation": metrics,
            "weights_sha256": sha256_file(staging / WEIGHTS_NAME),
        }
        (staging / METADATA_NAME).write_text(json.dumps(metadata, indent=2) + "\n")
        (staging / MODEL_CARD_NAME).write_text(render_model_card(metadata))
        if isinstance(model, (LCRDetector, LCRClassifier)):  # probabilities to pin; the refinement has none
            write_reference(staging, model, prepared.encoder)
    return metadata


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
    encode = dict(batch_size=run.encode_batch_size, progress=run.progress)
    pooling = run.pooling or ("documents" if run.base is None else "mean")
    encode["mean_only"] = pooling == "mean"
    train_features = encode_rows(prepared.encoder, train_set, [prepared.layer], desc="Encoding train", **encode)
    text_config = prepared.encoder.model.config.get_text_config()
    mixing = DETECTOR_MIXING_LAYERS if run.base is None and pooling == "documents" else 0
    mixer_shape = dict(num_attention_heads=text_config.num_attention_heads,
                       mixing_intermediate_size=text_config.intermediate_size,
                       layer_norm_eps=text_config.layer_norm_eps) if mixing else {}
    config = LCRDetectorConfig(
        hidden_size=text_config.hidden_size,
        pooling=pooling,
        mixing_layers=mixing,
        **mixer_shape,
        layer_index=prepared.layer,
        base_model_name_or_path=prepared.encoder.name_or_path,
        base_model_revision=prepared.encoder.revision,
    )
    if mixing:
        hyper = {"epochs": run.epochs or 4, "batch_size": run.batch_size, "learning_rate": run.learning_rate or 1e-3,
                 "mixer_learning_rate": DETECTOR_MIXER_LEARNING_RATE, "weight_decay": 0.01, "optimizer": "AdamW + OneCycleLR",
                 "loss": "binary cross-entropy", "mixed_precision": "bfloat16 autocast",
                 "mixer_init": f"base blocks {prepared.layer}..{prepared.layer + mixing - 1}"}
    else:
        hyper = {"epochs": run.epochs or 30, "batch_size": run.batch_size, "learning_rate": run.learning_rate or 1e-3,
                 "weight_decay": 0.1, "optimizer": "AdamW + OneCycleLR", "loss": "binary cross-entropy"}
    pairs = pooling == "documents"
    if pairs:
        hyper["loss"] += (f" + {PAIR_LOSS_WEIGHT} x BCE of document pairs: same answer towards 0, "
                          "both stating different answers towards 1")
    torch.manual_seed(run.seed)
    model = LCRDetector(config)
    for i, layer in enumerate(model.mixer):
        copy_bert_layer(layer, prepared.encoder.model.encoder.layer[prepared.layer + i])
    history = train_head(
        model, train_features, [row["label"] for row in train_set], epochs=hyper["epochs"], batch_size=run.batch_size,
        learning_rate=hyper["learning_rate"], mixer_learning_rate=hyper.get("mixer_learning_rate", 0.0),
        weight_decay=hyper["weight_decay"], seed=run.seed, progress=run.progress,
        pair_targets=[document_pair_targets(row["documents"]) for row in train_set] if pairs else None,
    )
    metrics = {}
    for name, rows in prepared.evaluation.items():
        examples = _detection_examples(rows)
        features = encode_rows(prepared.encoder, examples, [prepared.layer], desc=f"Encoding {name}", **encode)
        metrics[name] = detector_metrics(
            [e["label"] for e in examples], predict_head(model, features), [e["conflict_level"] for e in examples],
            config.threshold,
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
    )
    encode = dict(batch_size=run.encode_batch_size, progress=run.progress)
    train_features = encode_rows(prepared.encoder, prepared.train, [prepared.layer], desc="Encoding train", **encode)
    hyper = {"epochs": run.epochs or 30, "batch_size": run.batch_size, "learning_rate": run.learning_rate or 1e-3,
             "weight_decay": 0.01, "optimizer": "AdamW + OneCycleLR",
             "loss": f"cross-entropy, label smoothing {config.label_smoothing}"}
    torch.manual_seed(run.seed)
    model = LCRClassifier(config)
    history = train_head(
        model, train_features, [LEVEL2ID[row["conflict_level"]] for row in prepared.train], epochs=hyper["epochs"],
        batch_size=run.batch_size, learning_rate=hyper["learning_rate"], weight_decay=hyper["weight_decay"],
        seed=run.seed, progress=run.progress,
    )
    metrics = {}
    for name, rows in prepared.evaluation.items():
        features = encode_rows(prepared.encoder, rows, [prepared.layer], desc=f"Encoding {name}", **encode)
        metrics[name] = classifier_metrics([LEVEL2ID[row["conflict_level"]] for row in rows], predict_head(model, features))
    return _finish(run, model, "classifier", prepared, metrics, history, hyper, len(prepared.train))
