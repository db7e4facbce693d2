#!/usr/bin/env python
"""Does a reader made of the encoder's own upper blocks, fine-tuned, find the asked value?

A diagnostic for issue 24, not part of the package. docs/training.md item 7 found that the
detector's comparison works (0.884 on data/long with an oracle pointer) and its pointer does
not: a scorer on the frozen encoder's middle-layer states, even with a randomly initialised
mixing block, puts its top token on the document's own answer in at most ~0.5 of hand-written
documents. An extractive QA model is a pretrained encoder whose blocks are fine-tuned with a
span head. This script builds that from the embedded encoder: the frozen states of its middle
layer (windows: the query and one document per window, as ``compare_detector_heads.py``
encodes them), then trainable copies of the encoder's remaining blocks, initialised from its
pretrained weights, then a linear token scorer, trained with the span loss only (each
document's attention mass on its annotated answer) on the training rows. Per reader it prints,
on each validation set, the share of documents whose top-scoring token is one of their
answer's (*hit*), the mean mass on the answer and the share of rows where every stating
document is hit (the figures of ``compare_detector_heads.py``), e.g.:

    python scripts/probe_reader_pointer.py \\
        --train data/generated/dense_train/long_conflicts.jsonl data/generated/dense_train/long_consistent.jsonl \\
        --validation dense=data/generated/dense_validation/long_conflicts.jsonl long=data/long/validation.jsonl \\
        --blocks 0 3 --epochs 2 --cache out/encoded

``--blocks 0`` is a linear scorer on the frozen middle-layer states (the baseline); ``--blocks
N`` fine-tunes N blocks copied from the encoder's blocks after the middle layer
(``--frozen-blocks`` keeps them at their pretrained weights and trains the scorer only).
The annotations are training targets and validation labels only, never an input.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compare_detector_heads import cached_encoding, examples_of  # noqa: E402

from lcr_hub.constants import DEFAULT_WINDOW_OVERLAP  # noqa: E402
from lcr_hub.data.windows import Windowing  # noqa: E402
from lcr_hub.encoding import EncodedRows, load_encoder  # noqa: E402
from lcr_hub.training.spans import answer_token_flags, span_loss  # noqa: E402


def windows_of(features: EncodedRows, layer: int, flags: list[torch.Tensor]) -> list[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Every window as ``(row, states, document ids, answer flags)``, in row order."""
    out = []
    for i, (states, documents, windows) in enumerate(zip(features.states[layer], features.document_ids,
                                                         features.window_ids)):
        counts = torch.bincount(windows).tolist() if windows.numel() else [0]
        for s, d, f in zip(*(torch.split(t, counts) for t in (states, documents, flags[i]))):
            out.append((i, s, d, f))
    return out


class Reader(torch.nn.Module):
    """Copies of encoder blocks over a window's middle-layer states, then a linear token score."""

    def __init__(self, blocks: list[torch.nn.Module], hidden: int) -> None:
        super().__init__()
        self.blocks = torch.nn.ModuleList(copy.deepcopy(b) for b in blocks)
        self.score = torch.nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        additive = (1.0 - attention[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for block in self.blocks:
            out = block(x, attention_mask=additive)
            x = out[0] if isinstance(out, tuple) else out
        return self.score(x).squeeze(-1)


def collate(items) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    length = max(s.shape[0] for _, s, _, _ in items)
    n, hidden = len(items), items[0][1].shape[-1]
    x = torch.zeros(n, length, hidden)
    attention = torch.zeros(n, length)
    documents = torch.full((n, length), -1, dtype=torch.long)
    flags = torch.zeros(n, length, dtype=torch.bool)
    for k, (_, s, d, f) in enumerate(items):
        x[k, : s.shape[0]] = s.float()
        attention[k, : s.shape[0]] = 1
        documents[k, : d.shape[0]] = d
        flags[k, : f.shape[0]] = f
    return x, attention, documents, flags


@torch.inference_mode()
def pointer_figures(reader: Reader, windows, batch_size: int) -> dict[str, float]:
    """hit / mass per (row, document) over the documents that state their answer, and rows all hit."""
    reader.eval()
    per_row: dict[int, list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]] = {}
    for start in range(0, len(windows), batch_size):
        chunk = windows[start : start + batch_size]
        x, attention, documents, flags = collate(chunk)
        scores = reader(x, attention)
        for k, (row, s, _, _) in enumerate(chunk):
            per_row.setdefault(row, []).append((scores[k, : s.shape[0]], documents[k, : s.shape[0]], flags[k, : s.shape[0]]))
    hits, masses, rows_hit = [], [], []
    for pieces in per_row.values():
        scores = torch.cat([p[0] for p in pieces])
        documents = torch.cat([p[1] for p in pieces])
        flags = torch.cat([p[2] for p in pieces])
        all_hit, stating = True, False
        for d in torch.unique(documents[documents >= 0]).tolist():
            member = documents == d
            answer = member & flags
            if not answer.any():
                continue
            stating = True
            masked = scores.masked_fill(~member, float("-inf"))
            hit = bool(answer[masked.argmax()])
            hits.append(hit)
            masses.append(float((torch.softmax(masked, -1) * answer).sum()))
            all_hit &= hit
        if stating:
            rows_hit.append(all_hit)
    mean = lambda values: sum(values) / len(values) if values else float("nan")  # noqa: E731
    return {"answer_hit": mean(hits), "answer_mass": mean(masses), "rows_all_hit": mean(rows_hit), "documents": len(hits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs="+", required=True, help="LCR rows with answer annotations to train on.")
    parser.add_argument("--validation", nargs="+", required=True, help="PATH or NAME=PATH, each scored apart.")
    parser.add_argument("--blocks", type=int, nargs="+", default=[0, 3], help="Reader depths to compare.")
    parser.add_argument("--frozen-blocks", action="store_true", help="Train the scorer only; blocks stay pretrained.")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="The scorer's learning rate.")
    parser.add_argument("--block-learning-rate", type=float, default=3e-5, help="The blocks' learning rate.")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache", help="Keep the encoded states in this folder and reuse them.")
    parser.add_argument("--output", help="Write the figures here (JSON).")
    args = parser.parse_args()

    encoder = load_encoder()
    layer = encoder.model.config.get_text_config().num_hidden_layers // 2
    windowing = Windowing(overlap=DEFAULT_WINDOW_OVERLAP)
    train = examples_of(args.train, label=1)
    sets = {}
    for item in args.validation:
        name, _, path = item.rpartition("=")
        sets[name or Path(path).stem] = examples_of([path])
    started = time.perf_counter()
    train_windows = windows_of(cached_encoding(args.cache, encoder, train, layer, windowing, "Encoding train", torch.bfloat16),
                               layer, answer_token_flags(encoder, train, windowing))
    validation = {name: windows_of(cached_encoding(args.cache, encoder, rows, layer, windowing, f"Encoding {name}", torch.float32),
                                   layer, answer_token_flags(encoder, rows, windowing)) for name, rows in sets.items()}
    train_windows = [w for w in train_windows if w[3].any()]  # only windows that hold an answer teach the pointer
    print(f"{len(train_windows)} training windows with an answer; encoded in {time.perf_counter() - started:.0f} s", flush=True)

    blocks = list(encoder.model.encoder.layer[layer:])
    results = []
    for depth in args.blocks:
        torch.manual_seed(args.seed)
        reader = Reader(blocks[:depth], encoder.model.config.hidden_size)
        if args.frozen_blocks:
            reader.blocks.requires_grad_(False)
        groups = [{"params": list(reader.score.parameters()), "lr": args.learning_rate}]
        if depth and not args.frozen_blocks:
            groups.append({"params": list(reader.blocks.parameters()), "lr": args.block_learning_rate})
        optimizer = torch.optim.AdamW(groups, weight_decay=0.01)
        order = torch.Generator().manual_seed(args.seed)
        started = time.perf_counter()
        history = []
        for epoch in range(args.epochs):
            reader.train()
            total, count = 0.0, 0
            permutation = torch.randperm(len(train_windows), generator=order).tolist()
            for start in range(0, len(permutation), args.batch_size):
                x, attention, documents, flags = collate([train_windows[i] for i in permutation[start : start + args.batch_size]])
                loss = span_loss(reader(x, attention), documents, flags)  # one document per window
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total, count = total + loss.item(), count + 1
            history.append(total / count)
            print(f"blocks {depth}  epoch {epoch + 1}  loss {history[-1]:.3f}  {time.perf_counter() - started:.0f} s", flush=True)
        result = {"blocks": depth, "frozen_blocks": args.frozen_blocks, "loss_history": history,
                  "seconds": round(time.perf_counter() - started, 1), "validation": {}}
        for name, windows in validation.items():
            figures = pointer_figures(reader, windows, args.batch_size)
            result["validation"][name] = figures
            print(f"  {name}: hit {figures['answer_hit']:.3f}  mass {figures['answer_mass']:.3f}  rows all hit "
                  f"{figures['rows_all_hit']:.3f}  ({figures['documents']} documents)", flush=True)
        results.append(result)
    if args.output:
        Path(args.output).write_text(json.dumps({"command": " ".join(sys.argv), "readers": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
