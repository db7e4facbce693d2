#!/usr/bin/env python
"""Detector heads side by side on one encoding: which document attention finds the asked value?

A diagnostic for issue 24, not part of the package. ``scripts/train_detector.py`` encodes its
data for every run, which on long rows costs most of the run; this script encodes the
training and validation rows once (windows, the embedded encoder at its middle layer, as
``train_detector`` does) and trains each head variant on the same states with the same
losses (row BCE, document-pair BCE, span loss) and the same seed, so that the variants differ
only in their head. Per variant it prints the training loss, then on the validation rows and
their consistent twins: accuracy at the config's threshold, AUROC, per-level accuracy, and the
mean attention mass each document puts on the tokens of its own annotated answer (the span
loss's target; 1.0 would be all of it), e.g.:

    python scripts/compare_detector_heads.py \\
        --train data/generated/dense_train/long_conflicts.jsonl \\
        --consistent data/generated/dense_train/long_consistent.jsonl \\
        --validation data/generated/dense_validation/long_conflicts.jsonl \\
        --variant tokens:0 query:0 tokens:1 query:1 --epochs 2

A variant is ``ATTENTION:MIXING`` (``document_attention`` and ``mixing_layers`` of
``LCRDetectorConfig``). Nothing is written but ``--output`` (JSON), if given.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

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


def examples_of(paths: list[str], label: int | None = None) -> list[dict]:
    """Rows and their consistent twins (``label`` None), or the rows with ``label``."""
    rows = load_lcr_dataset(paths)
    if label is None:
        return build_detection_dataset(rows).to_list()
    return [{**row, "label": label} for row in rows.to_list()]


@torch.inference_mode()
def answer_mass(model: LCRDetector, features: EncodedRows, flags: list[torch.Tensor], batch_size: int = 32) -> float:
    """Mean over documents that state their answer of the attention mass on the answer's tokens."""
    captured: list[torch.Tensor] = []
    hook = model.doc_scores.register_forward_hook(lambda module, args, output: captured.append(output))
    masses: list[torch.Tensor] = []
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
            for d in range(int(document_ids.max()) + 1):
                member = document_ids == d
                answer = member & answer_flags
                keep = answer.any(-1)
                if keep.any():
                    weights = torch.softmax(scores.masked_fill(~member, float("-inf")), -1)
                    masses.append((weights * answer).sum(-1)[keep])
    finally:
        hook.remove()
    return float(torch.cat(masses).mean()) if masses else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs="+", required=True, help="Conflicting LCR rows to train on (with twins).")
    parser.add_argument("--consistent", nargs="*", default=[], help="Consistent rows, extra negatives.")
    parser.add_argument("--validation", nargs="+", required=True, help="Conflicting LCR rows to score (with twins).")
    parser.add_argument("--variant", nargs="+", required=True, help="ATTENTION:MIXING, e.g. tokens:1 query:1.")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", help="Write the figures here (JSON).")
    args = parser.parse_args()
    variants = []
    for item in args.variant:
        attention, _, mixing = item.partition(":")
        if attention not in ("tokens", "query") or not mixing.isdigit():
            parser.error(f"--variant expects ATTENTION:MIXING with ATTENTION tokens or query, got {item!r}")
        variants.append((attention, int(mixing)))

    encoder = load_encoder()
    layer = encoder.model.config.get_text_config().num_hidden_layers // 2
    windowing = Windowing(overlap=DEFAULT_WINDOW_OVERLAP)
    train = examples_of(args.train) + (examples_of(args.consistent, label=0) if args.consistent else [])
    validation = examples_of(args.validation)
    started = time.perf_counter()
    train_features = encode_rows(encoder, train, [layer], desc="Encoding train", windowing=windowing,
                                 dtype=torch.bfloat16)
    validation_features = encode_rows(encoder, validation, [layer], desc="Encoding validation", windowing=windowing)
    pair_targets = [document_pair_targets(row["documents"]) for row in train]
    train_flags = answer_token_flags(encoder, train, windowing)
    validation_flags = answer_token_flags(encoder, validation, windowing)
    print(f"encoded {len(train)} training and {len(validation)} validation examples in "
          f"{time.perf_counter() - started:.0f} s", flush=True)

    results = []
    for attention, mixing in variants:
        torch.manual_seed(args.seed)
        model = new_detector(encoder.model, layer, mixing, pooling="documents", document_attention=attention,
                             input_mode=INPUT_MODE_WINDOWS, window_overlap=DEFAULT_WINDOW_OVERLAP)
        started = time.perf_counter()
        history = train_head(model, train_features, [row["label"] for row in train], epochs=args.epochs,
                             batch_size=args.batch_size, learning_rate=args.learning_rate,
                             mixer_learning_rate=DETECTOR_MIXER_LEARNING_RATE, weight_decay=0.01, seed=args.seed,
                             pair_targets=pair_targets, answer_flags=train_flags)
        metrics = detector_metrics([row["label"] for row in validation], predict_head(model, validation_features),
                                   [row["conflict_level"] for row in validation], model.config.threshold)
        result = {"document_attention": attention, "mixing_layers": mixing, "loss_history": history,
                  "seconds": round(time.perf_counter() - started, 1), "accuracy": metrics["accuracy"],
                  "auroc": metrics["auroc"], "per_level_accuracy": {k: v["accuracy"] for k, v in metrics["per_level"].items()},
                  "answer_attention_mass": answer_mass(model, validation_features, validation_flags)}
        results.append(result)
        levels = " ".join(f"{k} {v:.3f}" for k, v in sorted(result["per_level_accuracy"].items()))
        print(f"{attention}:{mixing}  loss {' '.join(f'{v:.3f}' for v in history)}  accuracy {result['accuracy']:.3f}  "
              f"AUROC {result['auroc']:.3f}  answer mass {result['answer_attention_mass']:.3f}  ({levels})  "
              f"{result['seconds']:.0f} s", flush=True)
    if args.output:
        Path(args.output).write_text(json.dumps({"command": " ".join(sys.argv), "variants": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
