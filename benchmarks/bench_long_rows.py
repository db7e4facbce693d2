#!/usr/bin/env python
"""Evaluation on long rows: throughput against a bare encoder pass, and time against row length.

A row here is what a RAG system retrieves: ``--documents`` passages of ``--words`` words each
(synthetic prose, seeded). Part 1 times ``LCRPipeline.predict`` (detector and classifier) on
``--rows`` such rows against a bare encoder pass over the same tokens: the same windows
(each document with the query, as the pipeline reads them), tokenized the same way, run
through every block of the encoder as a plain ``AutoModel`` call does, in chunks of the same
size. Part 2 times the pipeline on rows of 2..8 documents (at ``--words``) and of 50..400 words
per document (at 8 documents), and prints each time against the shortest row's, beside the
token ratio: a row 4x longer should cost at most 4.5x. Rounds alternate between the sides
and the best round of each is kept; no figure is asserted.

    python benchmarks/bench_long_rows.py --rows 16 --rounds 3
"""

from __future__ import annotations

import argparse
import random
import time

import torch

from lcr_hub import LCRPipeline
from lcr_hub.data.windows import Windowing

_WORDS = ("harbour wall stone river survey council bridge archive record village market winter railway "
          "station tower garden museum chapel mill school road").split()


def make_rows(n: int, documents: int, words: int, seed: int = 0) -> list[dict]:
    """``n`` rows of ``documents`` passages of ``words`` words (a value sentence inside each)."""
    rng = random.Random(f"{seed}:{documents}:{words}")
    rows = []
    for _ in range(n):
        passages = []
        for k in range(documents):
            body = [rng.choice(_WORDS) for _ in range(max(words - 6, 1))]
            body.insert(rng.randrange(len(body) + 1), f"it opened in {1900 + rng.randrange(60)} .")
            passages.append({"text": " ".join(body).capitalize()})
        rows.append({"query": "When did the harbour open?", "documents": passages})
    return rows


def bare_encoder_pass(pipe: LCRPipeline, rows: list[dict], windowing: Windowing, chunk_tokens: int = 16384) -> int:
    """Tokenize the rows' windows and run the whole encoder over them; returns the tokens read."""
    encoder = pipe.encoder
    batch = encoder.tokenize([encoder.format(r["query"], r["documents"]) for r in rows], windowing)
    inputs = {k: v for k, v in batch.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    lengths = batch["attention_mask"].sum(-1)
    order = torch.argsort(-lengths, stable=True)
    with torch.inference_mode():
        start = 0
        while start < len(order):
            longest = int(lengths[order[start]])
            chunk = order[start : start + max(chunk_tokens // longest, 1)]
            encoder.model(**{k: v[chunk][:, :longest] for k, v in inputs.items()})
            start += len(chunk)
    return int(lengths.sum())


def best_time(run, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=16, help="Rows of part 1 (default 16).")
    parser.add_argument("--documents", type=int, default=8, help="Documents per row in part 1 (default 8).")
    parser.add_argument("--words", type=int, default=300, help="Words per document in part 1 (default 300).")
    parser.add_argument("--scaling-rows", type=int, default=4, help="Rows per length in part 2 (default 4).")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--detector", default=None, help="Detector folder (default: embedded).")
    parser.add_argument("--classifier", default=None, help="Classifier folder (default: embedded).")
    args = parser.parse_args()

    pipe = LCRPipeline.from_pretrained(args.detector, args.classifier)
    windowing = pipe.windowing or Windowing()
    if pipe.windowing is None:
        print("note: this detector reads joint sequences (input_mode 'joint'); later documents may be cut")
    rows = make_rows(args.rows, args.documents, args.words)
    pipe.predict(rows[:2], batch_size=args.batch_size, progress=False)  # warm-up
    tokens = bare_encoder_pass(pipe, rows[:2], windowing)
    best = {"encoder": float("inf"), "pipeline": float("inf")}
    for _ in range(args.rounds):  # alternate the sides, keep each side's best round
        best["encoder"] = min(best["encoder"], best_time(lambda: bare_encoder_pass(pipe, rows, windowing), 1))
        best["pipeline"] = min(best["pipeline"], best_time(
            lambda: pipe.predict(rows, batch_size=args.batch_size, progress=False), 1))
    tokens = bare_encoder_pass(pipe, rows, windowing)
    n = len(rows)
    print(f"part 1: {n} rows x {args.documents} documents x {args.words} words ({tokens} tokens in windows), "
          f"torch threads {torch.get_num_threads()}")
    print(f"  bare encoder pass (all blocks) : {n / best['encoder']:8.2f} rows/s")
    print(f"  lcr-hub evaluate (both heads)  : {n / best['pipeline']:8.2f} rows/s")
    print(f"  ratio (evaluate / bare encoder): {best['encoder'] / best['pipeline']:.3f}  (target >= 0.85)")

    def scaling(label: str, shapes: list[tuple[int, int]]) -> None:
        print(f"part 2: time against {label} ({args.scaling_rows} rows each; ratios to the first)")
        base_time = base_tokens = None
        for documents, words in shapes:
            sample = make_rows(args.scaling_rows, documents, words, seed=1)
            n_tokens = bare_encoder_pass(pipe, sample[:1], windowing) * len(sample)
            seconds = best_time(lambda: pipe.predict(sample, batch_size=args.batch_size, progress=False), args.rounds)
            base_time, base_tokens = base_time or seconds, base_tokens or n_tokens
            print(f"  {documents} documents x {words:3d} words: {seconds:7.3f} s   tokens x{n_tokens / base_tokens:5.2f}"
                  f"   time x{seconds / base_time:5.2f}")

    scaling("documents per row", [(d, args.words) for d in (2, 4, 8)])
    scaling("words per document", [(8, w) for w in (50, 100, 200, 400)])


if __name__ == "__main__":
    main()
