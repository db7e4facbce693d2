#!/usr/bin/env python
"""Detector heads side by side on one encoding: which document attention finds the asked value?

A diagnostic for issue 24, not part of the package. ``scripts/train_detector.py`` encodes its
data for every run, which on long rows costs most of the run; this script encodes the
training and validation rows once (windows, the embedded encoder at its middle layer, as
``train_detector`` does) and trains each head variant on the same states with the same
losses (row BCE, document-pair BCE, span loss) and the same seed, so that the variants differ
only in their head. Per variant it prints the training loss, then on each validation set (its
rows and their consistent twins): accuracy at the config's threshold, AUROC, per-level accuracy,
the mean attention mass each document puts on the tokens of its own annotated answer (the span
loss's target; 1.0 would be all of it), the share of documents whose top-scoring token is one of
the answer's, and the share of rows where every document's is, e.g.:

    python scripts/compare_detector_heads.py \\
        --train data/generated/dense_train/long_conflicts.jsonl \\
        --consistent data/generated/dense_train/long_consistent.jsonl \\
        --validation dense=data/generated/dense_validation/long_conflicts.jsonl long=data/long/validation.jsonl \\
        --variant tokens:0 query:0 tokens:1 query:1 tokens:1:oracle --epochs 2

A variant is ``ATTENTION:MIXING`` (``document_attention`` and ``mixing_layers`` of
``LCRDetectorConfig``), with optional suffixes:

- ``:oracle``: every document that states its annotated answer is read as its answer's tokens
  only, in training and validation alike (an upper bound for the comparison half of the head,
  given a perfect pointer; the annotations are never a model input otherwise);
- ``:teacher``: in training only, each document that states its answer is pooled over its answer's tokens (teacher
  forcing for the comparison) while the span loss trains the attention, which alone pools in
  validation;
- ``:detach``: the row and pair losses do not train the document attention, only the span loss does;
- ``:topK`` (e.g. ``:top3``): as ``:detach``, each document pooled over its K highest-scoring
  tokens only.

Nothing is written but ``--output`` (JSON) and ``--cache`` (encoded states), if given.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lcr_hub.constants import DEFAULT_WINDOW_OVERLAP, INPUT_MODE_WINDOWS  # noqa: E402
from lcr_hub.data import build_detection_dataset, load_lcr_dataset  # noqa: E402
from lcr_hub.data.windows import Windowing  # noqa: E402
from lcr_hub.encoding import EncodedRows, encode_rows, load_encoder  # noqa: E402
from lcr_hub.encoding.batches import predict_head  # noqa: E402
from lcr_hub.evaluation.metrics import detector_metrics  # noqa: E402
from lcr_hub.models import LCRDetector  # noqa: E402
from lcr_hub.training import document_pair_targets, new_detector, train_head  # noqa: E402
from lcr_hub.training.heads import DETECTOR_MIXER_LEARNING_RATE  # noqa: E402
from lcr_hub.training.spans import answer_token_flags, collate_flags  # noqa: E402


def cached_encoding(cache: str | None, encoder, rows: list[dict], layer: int, windowing: Windowing, desc: str,
                    dtype: torch.dtype) -> EncodedRows:
    """``encode_rows`` of ``rows``, kept in ``cache`` (a folder) under a digest of the rows and the settings.

    The states are a pure function of the encoder, the rows and the settings, so a second run of
    this script over the same rows (another variant) reads them back instead of encoding again.
    """
    if cache is None:
        return encode_rows(encoder, rows, [layer], desc=desc, windowing=windowing, dtype=dtype)
    key = json.dumps([rows, layer, windowing.overlap, str(dtype), encoder.name_or_path, encoder.revision], sort_keys=True)
    path = Path(cache) / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.safetensors"
    if path.exists():
        tensors = load_file(path)
        count = len(rows)
        return EncodedRows(
            states={layer: [tensors[f"states.{i}"] for i in range(count)]},
            document_ids=[tensors[f"documents.{i}"] for i in range(count)],
            window_ids=[tensors[f"windows.{i}"] for i in range(count)],
            windows_cut=tensors["windows_cut"].tolist(), documents_cut=tensors["documents_cut"].tolist(),
        )
    features = encode_rows(encoder, rows, [layer], desc=desc, windowing=windowing, dtype=dtype)
    tensors = {"windows_cut": torch.tensor(features.windows_cut), "documents_cut": torch.tensor(features.documents_cut)}
    for i in range(len(rows)):
        tensors[f"states.{i}"] = features.states[layer][i]
        tensors[f"documents.{i}"] = features.document_ids[i]
        tensors[f"windows.{i}"] = features.window_ids[i]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    save_file(tensors, partial)
    partial.replace(path)  # never a half-written cache entry
    return features


def examples_of(paths: list[str], label: int | None = None) -> list[dict]:
    """Rows and their consistent twins (``label`` None), or the rows with ``label``."""
    rows = load_lcr_dataset(paths)
    if label is None:
        return build_detection_dataset(rows).to_list()
    return [{**row, "label": label} for row in rows.to_list()]


@torch.inference_mode()
def answer_attention(model: LCRDetector, features: EncodedRows, flags: list[torch.Tensor],
                     batch_size: int = 32) -> dict[str, float]:
    """Where the document attention points, over the documents that state their answer.

    Returns ``answer_mass`` (mean attention mass on the answer's tokens), ``answer_hit`` (the share
    of such documents whose highest-scoring token is one of the answer's) and ``rows_all_hit`` (the
    share of rows where every such document's is).
    """
    captured: list[torch.Tensor] = []
    hook = model.doc_scores.register_forward_hook(lambda module, args, output: captured.append(output))
    masses: list[torch.Tensor] = []
    hits: list[torch.Tensor] = []
    rows_hit: list[torch.Tensor] = []
    try:
        for start in range(0, len(flags), batch_size):
            indices = list(range(start, min(start + batch_size, len(flags))))
            x, attention, documents = features.batch(model.config.layer_index, indices, dtype=torch.float32)
            captured.clear()
            model(hidden_states=x, attention_mask=attention, document_mask=documents)
            n = len(indices)
            document_ids = documents.reshape(n, -1).masked_fill(attention.reshape(n, -1) <= 0, -1)
            answer_flags = collate_flags(features, flags, indices).reshape(n, -1)
            scores = captured[0].float()
            all_hit = torch.ones(n, dtype=torch.bool)
            stating = torch.zeros(n, dtype=torch.bool)
            for d in range(int(document_ids.max()) + 1):
                member = document_ids == d
                answer = member & answer_flags
                keep = answer.any(-1)
                if keep.any():
                    masked = scores.masked_fill(~member, float("-inf"))
                    masses.append((torch.softmax(masked, -1) * answer).sum(-1)[keep])
                    hit = answer.gather(-1, masked.argmax(-1, keepdim=True)).squeeze(-1)
                    hits.append(hit[keep])
                    all_hit &= hit | ~keep
                    stating |= keep
            rows_hit.append(all_hit[stating])
    finally:
        hook.remove()
    if not masses:
        return {"answer_mass": float("nan"), "answer_hit": float("nan"), "rows_all_hit": float("nan")}
    return {"answer_mass": float(torch.cat(masses).mean()), "answer_hit": float(torch.cat(hits).float().mean()),
            "rows_all_hit": float(torch.cat(rows_hit).float().mean())}


class Detached(torch.nn.Module):
    """In place of ``doc_scores``: the scores without their gradient (the span loss reads its input)."""

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        return scores.detach()


class _ReadsDocuments(torch.nn.Module):
    """A stand-in for ``doc_scores`` that sees the detector's document mask of the current forward call
    (taken by a pre-hook; reshape it as the scores are: windows end to end)."""

    def __init__(self, model: LCRDetector) -> None:
        super().__init__()
        self.documents: torch.Tensor | None = None

        def keep(module, args, kwargs):
            self.documents = kwargs["document_mask"]

        model.register_forward_pre_hook(keep, with_kwargs=True)


class TopTokens(_ReadsDocuments):
    """In place of ``doc_scores``: each document keeps only its ``k`` highest scores (detached)."""

    def __init__(self, model: LCRDetector, k: int) -> None:
        super().__init__(model)
        self.k = k

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        scores = scores.detach()
        documents = self.documents.reshape(scores.shape)
        kept = torch.zeros_like(documents, dtype=torch.bool)
        low = torch.finfo(scores.dtype).min
        for d in range(int(documents.max()) + 1):
            member = documents == d
            masked = scores.masked_fill(~member, low)
            kth = masked.topk(min(self.k, masked.shape[-1]), dim=-1).values[:, -1:]
            kept |= member & (masked >= kth)
        return scores.masked_fill(~kept & (documents >= 0), -1e4)


class TeacherPointer(_ReadsDocuments):
    """In place of ``doc_scores``: in training, every document that states its answer is pooled over its answer's
    tokens only (teacher forcing: the comparison learns on the right tokens while the span loss, which reads the
    scores before this module, trains the pointer); in eval mode the scores pass unchanged."""

    def __init__(self, model: LCRDetector, features: EncodedRows, flags: list[torch.Tensor]) -> None:
        super().__init__(model)
        self.features, self.flags = features, flags

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return scores
        documents = self.documents.reshape(scores.shape)
        answer = collate_flags(self.features, self.flags, self.features.last_indices).reshape(scores.shape)
        stating = torch.zeros_like(answer)
        for d in range(int(documents.max()) + 1):
            member = documents == d
            stating |= member & (member & answer).any(-1, keepdim=True)
        return scores.masked_fill(stating & ~answer, -1e4)


class RecordingRows(EncodedRows):
    """``EncodedRows`` that remembers the rows of its last ``batch`` (for :class:`TeacherPointer`)."""

    def batch(self, layer, indices, dtype=None):
        self.last_indices = list(indices)
        return super().batch(layer, indices, dtype)


def oracle_features(features: EncodedRows, flags: list[torch.Tensor]) -> EncodedRows:
    """``features`` with every document that states its answer cut down to its answer's tokens.

    The other tokens of such a document get document id -1 (read by the mixing blocks, pooled
    by no document); documents without a flagged token and the query are left as they are.
    """
    document_ids = []
    for ids, flag in zip(features.document_ids, flags):
        stating = torch.unique(ids[flag & (ids >= 0)])
        cut = torch.isin(ids, stating) & ~flag
        document_ids.append(ids.masked_fill(cut, -1))
    return dataclasses.replace(features, document_ids=document_ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs="+", required=True, help="Conflicting LCR rows to train on (with twins).")
    parser.add_argument("--consistent", nargs="*", default=[], help="Consistent rows, extra negatives.")
    parser.add_argument("--validation", nargs="+", required=True,
                        help="Conflicting LCR rows to score (with twins): PATH or NAME=PATH, each set scored apart.")
    parser.add_argument("--variant", nargs="+", required=True,
                        help="ATTENTION:MIXING[:oracle][:teacher][:detach][:topK], e.g. tokens:1 query:1:top3 tokens:1:oracle.")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", help="Write the figures here (JSON).")
    parser.add_argument("--layer", type=int, help="Encoder layer the heads read (default: the middle one, as trained).")
    parser.add_argument("--retrieve", type=int, metavar="K",
                        help="Cut every document (training and validation) to its K sentences most similar to the "
                             "query, as scripts/probe_long_sentences.py does (no annotation is read).")
    parser.add_argument("--cache", help="Keep the encoded states in this folder and reuse them on the next run.")
    args = parser.parse_args()
    variants = []
    for item in args.variant:
        attention, mixing, *options = item.split(":")
        top = next((int(o[3:]) for o in options if re.fullmatch(r"top\d+", o)), 0)
        if (attention not in ("tokens", "query") or not mixing.isdigit()
                or not all(o in ("oracle", "teacher", "detach") or re.fullmatch(r"top\d+", o) for o in options)):
            parser.error(f"--variant expects ATTENTION:MIXING[:oracle][:teacher][:detach][:topK] with ATTENTION tokens or "
                         f"query, got {item!r}")
        variants.append((item, attention, int(mixing), "oracle" in options, "teacher" in options, "detach" in options, top))
    sets = {}
    for item in args.validation:
        name, _, path = item.rpartition("=")
        sets[name or Path(path).stem] = path

    encoder = load_encoder()
    layer = encoder.model.config.get_text_config().num_hidden_layers // 2 if args.layer is None else args.layer
    windowing = Windowing(overlap=DEFAULT_WINDOW_OVERLAP)
    train = examples_of(args.train) + (examples_of(args.consistent, label=0) if args.consistent else [])
    validation = {name: examples_of([path]) for name, path in sets.items()}
    if args.retrieve:
        from probe_long_sentences import SentenceRanker, cut

        ranker = SentenceRanker(encoder)
        train = [cut(row, "retrieved", args.retrieve, ranker) for row in train]
        validation = {name: [cut(row, "retrieved", args.retrieve, ranker) for row in rows]
                      for name, rows in validation.items()}
    started = time.perf_counter()
    train_features = cached_encoding(args.cache, encoder, train, layer, windowing, "Encoding train", torch.bfloat16)
    validation_features = {name: cached_encoding(args.cache, encoder, rows, layer, windowing, f"Encoding {name}",
                                                 torch.float32) for name, rows in validation.items()}
    pair_targets = [document_pair_targets(row["documents"]) for row in train]
    train_flags = answer_token_flags(encoder, train, windowing)
    validation_flags = {name: answer_token_flags(encoder, rows, windowing) for name, rows in validation.items()}
    print(f"encoded {len(train)} training and {sum(map(len, validation.values()))} validation examples in "
          f"{time.perf_counter() - started:.0f} s", flush=True)

    results = []
    for name, attention, mixing, oracle, teacher, detach, top in variants:
        read = oracle_features if oracle else (lambda features, flags: features)
        torch.manual_seed(args.seed)
        model = new_detector(encoder.model, layer, mixing, pooling="documents", document_attention=attention,
                             input_mode=INPUT_MODE_WINDOWS, window_overlap=DEFAULT_WINDOW_OVERLAP)
        train_rows = read(train_features, train_flags)
        if teacher:  # pooled over the annotated answer in training only
            train_rows = RecordingRows(**vars(train_rows))
            model.doc_scores = TeacherPointer(model, train_rows, train_flags)
        elif top:  # each document pooled over its `top` highest-scoring tokens (no gradient through the choice)
            model.doc_scores = TopTokens(model, top)
        elif detach:  # the pooling reads the scores without a gradient: only the span loss trains the attention
            model.doc_scores = Detached()
        started = time.perf_counter()
        history = train_head(model, train_rows, [row["label"] for row in train],
                             epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                             mixer_learning_rate=DETECTOR_MIXER_LEARNING_RATE, weight_decay=0.01, seed=args.seed,
                             pair_targets=pair_targets, answer_flags=train_flags)
        result = {"variant": name, "document_attention": attention, "mixing_layers": mixing, "oracle": oracle,
                  "teacher": teacher, "detach": detach, "top_tokens": top, "loss_history": history, "seconds": round(time.perf_counter() - started, 1), "validation": {}}
        print(f"{name}  loss {' '.join(f'{v:.3f}' for v in history)}  {result['seconds']:.0f} s", flush=True)
        for set_name, rows in validation.items():
            features = read(validation_features[set_name], validation_flags[set_name])
            metrics = detector_metrics([row["label"] for row in rows], predict_head(model, features),
                                       [row["conflict_level"] for row in rows], model.config.threshold)
            scored = {"accuracy": metrics["accuracy"], "auroc": metrics["auroc"],
                      "per_level_accuracy": {k: v["accuracy"] for k, v in metrics["per_level"].items()},
                      **answer_attention(model, features, validation_flags[set_name])}
            result["validation"][set_name] = scored
            levels = " ".join(f"{k} {v:.3f}" for k, v in sorted(scored["per_level_accuracy"].items()))
            print(f"  {set_name}: accuracy {scored['accuracy']:.3f}  AUROC {scored['auroc']:.3f}  "
                  f"answer mass {scored['answer_mass']:.3f}  hit {scored['answer_hit']:.3f}  rows all hit "
                  f"{scored['rows_all_hit']:.3f}  ({levels})", flush=True)
        results.append(result)
    if args.output:
        Path(args.output).write_text(json.dumps({"command": " ".join(sys.argv), "variants": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
