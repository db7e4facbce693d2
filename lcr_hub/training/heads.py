"""Training loops of the detector and classifier heads on cached encoder states."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from ..encoding.batches import EncodedRows, length_sorted_batches
from ..errors import ConfigError
from ..models.configuration_lcr import LCRDetectorConfig
from ..models.modeling_lcr import LCRClassifier, LCRDetector, LCRMixingLayer
from .._modules.precision import at_least_float32, computed_in
from .spans import collate_flags, span_loss



#: Trainable blocks of the embedded detector, initialised from the encoder's blocks after
#: ``layer_index``: a head on frozen features alone learns the benchmark's templates rather
#: than conflicts (the runs: docs/history-code-notes.md). Detectors on causal bases have none
#: (their blocks are not BERT-style and large).
DETECTOR_MIXING_LAYERS = 1

#: Peak learning rate of the mixing block: a lower one leaves the block underfitted even on
#: its own kind of data (docs/history-code-notes.md).
DETECTOR_MIXER_LEARNING_RATE = 2e-4

#: Weight of the detector's pair loss (see ``train_head``'s ``pair_targets``) beside the
#: per-example loss: it helps natural rows at a small cost on the benchmark
#: (docs/history-code-notes.md).
PAIR_LOSS_WEIGHT = 0.2

#: Weight of the detector's span loss (``train_head``'s ``answer_flags``): on passages of
#: hundreds of words the document attention must find the value before the pairs can be
#: compared, and the row label alone teaches that too slowly (docs/training.md).
SPAN_LOSS_WEIGHT = 0.5


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


def new_detector(base: nn.Module, layer_index: int, mixing_layers: int, **config: Any) -> LCRDetector:
    """A freshly initialised detector sized for ``base``, its mixing blocks copied from the base's
    blocks after ``layer_index`` (seed torch first: the head's initialisation draws from it).

    Args:
        base: The base model (its text config gives the sizes; BERT-style blocks when
            ``mixing_layers > 0``).
        layer_index: The config's ``layer_index``.
        mixing_layers: The config's ``mixing_layers``.
        **config: Other :class:`LCRDetectorConfig` keys (``pooling``, ``input_mode``...).

    Returns:
        The detector, in training mode.

    Raises:
        ConfigError: A config key is invalid, or the base's blocks are not BERT-style.

    Example:
        >>> from lcr_hub.encoding import load_encoder
        >>> model = new_detector(load_encoder().model, 3, 1, pooling="documents", input_mode="windows")
        >>> len(model.mixer), model.config.hidden_size
        (1, 384)
    """
    text = base.config.get_text_config()
    shape = dict(num_attention_heads=text.num_attention_heads, mixing_intermediate_size=text.intermediate_size,
                 layer_norm_eps=text.layer_norm_eps) if mixing_layers else {}
    model = LCRDetector(LCRDetectorConfig(hidden_size=text.hidden_size, layer_index=layer_index,
                                          mixing_layers=mixing_layers, **shape, **config))
    for i, block in enumerate(model.mixer):
        copy_bert_layer(block, base.encoder.layer[layer_index + i])
    return model


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
        >>> from lcr_hub.training import document_pair_targets
        >>> document_pair_targets([{"text": "It opened in 1911.", "answer": "1911"},
        ...                        {"text": "It opened in 1914.", "answer": "1914"},
        ...                        {"text": "A fine old hall.", "answer": "1911"}]).tolist()
        [[0, 1, 0], [1, 0, -1], [0, -1, 0]]
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
    answer_flags: Sequence[torch.Tensor] | None = None,
    dtype: torch.dtype = torch.float32,
) -> list[float]:
    """Train a detector or a frozen-encoder classifier head on cached encoder states.

    A detector with mixing layers (``config.mixing_layers > 0``) trains them at
    ``mixer_learning_rate`` (they start from the base's own blocks and need small steps),
    in float32 (bfloat16 autocast was 3x slower than float32 on this project's CPUs, which
    lack AVX-512 BF16, and 21x slower with the CPU kernels pinned to AVX2 for a rebuildable
    release: ``benchmarks/bench_mixer_precision.py``), with batches of similar length.

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
        answer_flags: For a ``pooling="documents"`` detector, each example's
            :func:`~lcr_hub.training.spans.answer_token_flags`: the document attention is
            then also trained to put its mass on the tokens where each document states its
            answer (:func:`~lcr_hub.training.spans.span_loss`, weight :data:`SPAN_LOSS_WEIGHT`).
        dtype: The arithmetic of training (``torch.float64``: the float32 weights it leaves
            do not depend on the CPU's kernels); the model is returned in its own dtype.

    Returns:
        The mean training loss of each epoch.
    """
    torch.manual_seed(seed)
    y = torch.tensor(list(labels), dtype=dtype if isinstance(model, LCRDetector) else torch.long)
    layer = model.config.layer_index
    mixer = getattr(model, "mixer", None) or nn.ModuleList()
    mixer_ids = {id(p) for p in mixer.parameters()}
    groups = [{"params": [p for p in model.parameters() if id(p) not in mixer_ids and p.requires_grad],
               "lr": learning_rate}]
    if len(mixer):
        groups.append({"params": list(mixer.parameters()), "lr": mixer_learning_rate})

    scores: list[torch.Tensor] = []
    hook = None
    if answer_flags is not None:  # the attention scores of each forward, for the span loss
        hook = model.doc_scores.register_forward_pre_hook(lambda module, args: scores.append(args[0]))

    def loss_of_batch(indices: list[int]) -> torch.Tensor:
        x, attention, documents = features.batch(layer, indices, dtype=dtype)
        scores.clear()
        out = model(hidden_states=x, attention_mask=attention, document_mask=documents, labels=y[indices])
        loss = out.loss
        if answer_flags is not None:
            flat = documents.reshape(len(indices), -1).masked_fill(attention.reshape(len(indices), -1) <= 0, -1)
            spans = span_loss(scores[0], flat, collate_flags(features, answer_flags, indices).reshape(len(indices), -1))
            if spans is not None:
                loss = loss + SPAN_LOSS_WEIGHT * spans
        if pair_targets is None:
            return loss
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
            return loss
        logits = at_least_float32(out.pair_logits[known])
        pair_loss = nn.functional.binary_cross_entropy_with_logits(logits, targets[known].to(logits.dtype))
        return loss + PAIR_LOSS_WEIGHT * pair_loss

    lengths = features.tokens(layer) if len(mixer) else None
    try:
        # Cast in place (the parameter objects in `groups` stay the same) and back when done.
        with computed_in(dtype, model):
            return _train_loop(
                model, len(y), loss_of_batch, epochs=epochs, batch_size=batch_size, parameter_groups=groups,
                weight_decay=weight_decay, seed=seed, desc=f"Training {type(model).__name__}", progress=progress,
                lengths=lengths,
            )
    finally:
        if hook is not None:
            hook.remove()

