"""Training of the embedded detector and classifier heads on a frozen base encoder.

The encoder runs once per example (``encode_rows``); the heads then train on the cached
states, so an epoch costs milliseconds. Everything is seeded and runs the same batches in
the same order, so re-running a command on the same machine reproduces the weights'
sha256.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ._modules.provenance import command_line, file_digests, framework, hardware
from .cards import render_model_card
from .configuration_lcr import LCRClassifierConfig, LCRDetectorConfig
from .constants import (
    DEFAULT_ENCODER_ID,
    DEFAULT_ENCODER_REVISION,
    LEVEL2ID,
    METADATA_NAME,
    MODEL_CARD_NAME,
    WEIGHTS_NAME,
)
from .data import (
    build_detection_dataset,
    document_separator,
    format_example,
    load_lcr_dataset,
    resolve_data_files,
    train_validation_split,
)
from .evaluation.metrics import classifier_metrics, detector_metrics
from .features import BaseEncoder, load_encoder, sha256_file
from .modeling_lcr import LCRClassifier, LCRDetector


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and torch, and ask torch for deterministic kernels.

    Args:
        seed: The seed.
        deterministic: Also call ``torch.use_deterministic_algorithms(True)``.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True


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
) -> EncodedRows:
    """Run the frozen encoder once over every row and keep the states the heads read.

    Args:
        encoder: The base encoder.
        rows: LCR rows (mappings with ``query`` and ``documents``).
        layers: Indices into ``outputs.hidden_states`` to keep.
        batch_size: Rows per forward pass (rows are batched by length).
        desc: Progress-bar label.
        progress: Show a progress bar.

    Returns:
        :class:`EncodedRows` in the order of ``rows``.
    """
    separator = document_separator(encoder.tokenizer)
    formatted = [format_example(row["query"], row["documents"], separator) for row in rows]
    layers = sorted(set(layers))
    states: dict[int, list] = {k: [None] * len(rows) for k in layers}
    doc_ids: list = [None] * len(rows)
    batches = length_sorted_batches([len(f.text) for f in formatted], batch_size)
    with tqdm(total=len(rows), desc=desc, unit="row", disable=not progress) as bar:
        for batch_indices in batches:
            hidden, batch = encoder.hidden_states([formatted[i] for i in batch_indices], layers)
            for j, i in enumerate(batch_indices):
                real = batch["attention_mask"][j] > 0
                doc_ids[i] = batch["document_mask"][j][real].clone()
                for k in layers:
                    states[k][i] = hidden[k][j][real.to(encoder.device)].float().cpu().clone()
            bar.update(len(batch_indices))
    return EncodedRows(states=states, document_ids=doc_ids)


def _collate_documents(
    states: Sequence[torch.Tensor], doc_ids: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    length = max(max(s.shape[0] for s in states), 1)
    hidden = states[0].shape[-1]
    x = torch.zeros(len(states), length, hidden)
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
    learning_rate: float,
    weight_decay: float,
    seed: int,
    desc: str,
    progress: bool,
) -> list[float]:
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    steps_per_epoch = (n + batch_size - 1) // batch_size
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=learning_rate, total_steps=max(epochs * steps_per_epoch, 1), pct_start=0.1
    )
    history = []
    model.train()
    with tqdm(range(epochs), desc=desc, unit="epoch", disable=not progress) as bar:
        for _ in bar:
            order = torch.randperm(n, generator=generator).tolist()
            total = 0.0
            for start in range(0, n, batch_size):
                loss = loss_of_batch(order[start : start + batch_size])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                total += float(loss.detach()) * len(order[start : start + batch_size])
            history.append(total / max(n, 1))
            bar.set_postfix(loss=f"{history[-1]:.4f}")
    model.eval()
    return history


def train_head(
    model: LCRDetector | LCRClassifier,
    features: EncodedRows,
    labels: Sequence[int],
    *,
    epochs: int = 30,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    weight_decay: float = 0.1,
    seed: int = 42,
    progress: bool = True,
) -> list[float]:
    """Train a detector or a frozen-encoder classifier head on cached encoder states.

    Args:
        model: A freshly initialised :class:`LCRDetector` or :class:`LCRClassifier`
            (``freeze_encoder=True``); trained in place and left in eval mode.
        features: Output of :func:`encode_rows` holding ``model.config.layer_index``.
        labels: Targets aligned with ``features``: 0/1 for the detector, level ids 0..3
            for the classifier.
        epochs, batch_size, learning_rate, weight_decay: Optimisation (AdamW, one-cycle).
        seed: Seed of the batch order and dropout.
        progress: Show a progress bar.

    Returns:
        The mean training loss of each epoch.
    """
    torch.manual_seed(seed)
    dtype = torch.float32 if isinstance(model, LCRDetector) else torch.long
    y = torch.tensor(list(labels), dtype=dtype)
    layer = model.config.layer_index

    def loss_of_batch(indices: list[int]) -> torch.Tensor:
        x, attention, documents = features.batch(layer, indices)
        return model(hidden_states=x, attention_mask=attention, document_mask=documents, labels=y[indices]).loss

    return _train_loop(
        model, len(y), loss_of_batch, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
        weight_decay=weight_decay, seed=seed, desc=f"Training {type(model).__name__}", progress=progress,
    )


@torch.inference_mode()
def predict_head(model: LCRDetector | LCRClassifier, features: EncodedRows, batch_size: int = 64) -> np.ndarray:
    """Probabilities of cached rows: ``(rows,)`` for a detector, ``(rows, 4)`` for a classifier."""
    out = []
    n = len(features.document_ids)
    for start in range(0, n, batch_size):
        x, attention, documents = features.batch(model.config.layer_index, range(start, min(start + batch_size, n)))
        out.append(model(hidden_states=x, attention_mask=attention, document_mask=documents).probabilities)
    return torch.cat(out).float().numpy()


# --------------------------------------------------------------------------- full runs


@dataclass
class TrainingRun:
    """What a training command needs to know besides the data.

    Attributes:
        data: LCR JSONL files or folders (the benchmark's dev split in the shipped runs).
        output: The checkpoint folder to write (replaced atomically).
        seed: Seed of the split, initialisation and batch order.
        validation_fraction: Share of ids (per level) held out for validation.
        epochs, batch_size, learning_rate: Optimisation.
        encode_batch_size: Rows per encoder pass.
        layer_index: Encoder layer the head reads (default: the component's).
        progress: Show progress bars.
    """

    data: Sequence[str]
    output: str
    seed: int = 42
    validation_fraction: float = 0.2
    epochs: int | None = None
    batch_size: int = 32
    learning_rate: float | None = None
    encode_batch_size: int = 32
    layer_index: int | None = None
    progress: bool = True


def _prepare(run: TrainingRun):
    seed_everything(run.seed)
    files = resolve_data_files(run.data)
    rows = load_lcr_dataset(files)
    train_rows, validation_rows = train_validation_split(rows, validation_fraction=run.validation_fraction, seed=run.seed)
    encoder = load_encoder()
    return files, train_rows, validation_rows, encoder


def _finish(run: TrainingRun, model, component: str, files, metrics: dict, history: list[float],
            hyper: dict, n_train: int, n_validation: int) -> dict:
    output = Path(run.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=output.parent))
    try:
        model.save_pretrained(staging)
        metadata = {
            "component": component,
            "command": command_line(),
            "seed": run.seed,
            "config": model.config.to_dict(),
            "training": {**hyper, "loss_history": history},
            "data": {
                "files": file_digests(files),
                "split": {"by": "id", "stratified_by": "conflict_level", "validation_fraction": run.validation_fraction, "seed": run.seed},
                "n_train_examples": n_train,
                "n_validation_examples": n_validation,
            },
            "framework": framework(),
            "hardware": hardware("cpu"),
            "validation": metrics,
            "weights_sha256": sha256_file(staging / WEIGHTS_NAME),
        }
        (staging / METADATA_NAME).write_text(json.dumps(metadata, indent=2) + "\n")
        (staging / MODEL_CARD_NAME).write_text(render_model_card(metadata))
        staging.chmod(0o755)  # mkdtemp creates 0700; a checkpoint folder is for everyone to read
        for path in staging.iterdir():
            path.chmod(0o644)
        if output.exists():
            shutil.rmtree(output)
        staging.rename(output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return metadata


def train_embedded_detector(run: TrainingRun) -> dict:
    """Train the embedded ``documents``-pooling detector on the frozen default encoder.

    Splits the rows by id (stratified per level, ``run.seed``), builds each split's
    consistent twins, encodes every example once, trains the head, measures it on the
    validation part and writes ``run.output`` (config, weights, metadata, model card).

    Args:
        run: The run's settings.

    Returns:
        The metadata written beside the weights.
    """
    files, train_rows, validation_rows, encoder = _prepare(run)
    layer = run.layer_index if run.layer_index is not None else encoder.model.config.num_hidden_layers // 2
    train_set, validation_set = build_detection_dataset(train_rows), build_detection_dataset(validation_rows)
    kwargs = dict(batch_size=run.encode_batch_size, progress=run.progress)
    train_features = encode_rows(encoder, train_set.to_list(), [layer], desc="Encoding train", **kwargs)
    validation_features = encode_rows(encoder, validation_set.to_list(), [layer], desc="Encoding validation", **kwargs)
    config = LCRDetectorConfig(
        hidden_size=encoder.model.config.hidden_size,
        pooling="documents",
        layer_index=layer,
        base_model_name_or_path=DEFAULT_ENCODER_ID,
        base_model_revision=DEFAULT_ENCODER_REVISION,
    )
    hyper = {"epochs": run.epochs or 30, "batch_size": run.batch_size, "learning_rate": run.learning_rate or 1e-3,
             "weight_decay": 0.1, "optimizer": "AdamW + OneCycleLR", "loss": "binary cross-entropy"}
    torch.manual_seed(run.seed)
    model = LCRDetector(config)
    history = train_head(
        model, train_features, train_set["label"], epochs=hyper["epochs"], batch_size=run.batch_size,
        learning_rate=hyper["learning_rate"], weight_decay=hyper["weight_decay"], seed=run.seed, progress=run.progress,
    )
    probabilities = predict_head(model, validation_features)
    metrics = detector_metrics(validation_set["label"], probabilities, validation_set["conflict_level"], config.threshold)
    return _finish(run, model, "detector", files, metrics, history, hyper, len(train_set), len(validation_set))


def train_embedded_classifier(run: TrainingRun) -> dict:
    """Train the embedded taxonomy classifier head on the frozen default encoder.

    Same split as :func:`train_embedded_detector`; trains on the conflicting rows' formatted
    text (query and documents, never the annotations), measures macro-F1 on the validation
    part and writes ``run.output``.

    Args:
        run: The run's settings.

    Returns:
        The metadata written beside the weights.
    """
    files, train_rows, validation_rows, encoder = _prepare(run)
    layer = run.layer_index if run.layer_index is not None else encoder.model.config.num_hidden_layers // 2
    config = LCRClassifierConfig(
        hidden_size=encoder.model.config.hidden_size,
        layer_index=layer,
        freeze_encoder=True,
        base_model_name_or_path=DEFAULT_ENCODER_ID,
        base_model_revision=DEFAULT_ENCODER_REVISION,
    )
    kwargs = dict(batch_size=run.encode_batch_size, progress=run.progress)
    train_features = encode_rows(encoder, train_rows.to_list(), [layer], desc="Encoding train", **kwargs)
    validation_features = encode_rows(encoder, validation_rows.to_list(), [layer], desc="Encoding validation", **kwargs)
    hyper = {"epochs": run.epochs or 30, "batch_size": run.batch_size, "learning_rate": run.learning_rate or 1e-3,
             "weight_decay": 0.01, "optimizer": "AdamW + OneCycleLR",
             "loss": f"cross-entropy, label smoothing {config.label_smoothing}"}
    torch.manual_seed(run.seed)
    model = LCRClassifier(config)
    history = train_head(
        model, train_features, [LEVEL2ID[level] for level in train_rows["conflict_level"]], epochs=hyper["epochs"],
        batch_size=run.batch_size, learning_rate=hyper["learning_rate"], weight_decay=hyper["weight_decay"],
        seed=run.seed, progress=run.progress,
    )
    probabilities = predict_head(model, validation_features)
    metrics = classifier_metrics([LEVEL2ID[level] for level in validation_rows["conflict_level"]], probabilities)
    return _finish(run, model, "classifier", files, metrics, history, hyper, len(train_rows), len(validation_rows))
