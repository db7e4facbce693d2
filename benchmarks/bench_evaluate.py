#!/usr/bin/env python
"""Evaluation throughput against one bare encoder forward pass over the same texts.

Both sides tokenize the same formatted texts, in the same length-sorted batches of the same
size, on the same device. The bare side runs every block of the encoder, as a plain
``AutoModel`` call does; the pipeline side runs the blocks up to the layer its heads read
(see ``lcr_hub.encoding.features``), then the detector (with its mixing blocks) and classifier heads,
and builds document masks. Rounds alternate between the two sides and the best round of each
is kept. Prints examples/s of each and the ratio (target: >= 0.85).

    python benchmarks/bench_evaluate.py --data ../shared/data/lcr-bench/dev --limit 256
"""

from __future__ import annotations

import argparse
import time

import torch

from lcr_hub import LCRPipeline
from lcr_hub.data import SAMPLE_DATA_PATH, build_detection_dataset, document_separator, format_example, load_lcr_dataset
from lcr_hub.encoding import length_sorted_batches


def bare_encoder_pass(pipe: LCRPipeline, examples: list[dict], batch_size: int) -> None:
    tokenizer, model = pipe.encoder.tokenizer, pipe.encoder.model
    separator = document_separator(tokenizer)
    texts = [format_example(e["query"], e["documents"], separator).text for e in examples]
    with torch.inference_mode():
        for indices in length_sorted_batches([len(t) for t in texts], batch_size):
            batch = tokenizer([texts[i] for i in indices], padding=True, truncation=True,
                              max_length=pipe.encoder.max_length, return_tensors="pt")
            model(**batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=[str(SAMPLE_DATA_PATH)])
    parser.add_argument("--limit", type=int, default=256, help="Detection examples to time.")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    examples = build_detection_dataset(load_lcr_dataset(args.data)).to_list()[: args.limit]
    pipe = LCRPipeline.from_pretrained()
    pipe.predict(examples[: args.batch_size], batch_size=args.batch_size, progress=False)  # warm-up
    best = {"pipeline": float("inf"), "encoder": float("inf")}
    for _ in range(args.rounds):
        start = time.perf_counter()
        bare_encoder_pass(pipe, examples, args.batch_size)
        best["encoder"] = min(best["encoder"], time.perf_counter() - start)
        start = time.perf_counter()
        pipe.predict(examples, batch_size=args.batch_size, progress=False)
        best["pipeline"] = min(best["pipeline"], time.perf_counter() - start)
    n = len(examples)
    print(f"examples: {n}, batch size {args.batch_size}, torch threads {torch.get_num_threads()}")
    print(f"bare encoder pass : {n / best['encoder']:8.2f} examples/s")
    print(f"lcr-hub evaluate  : {n / best['pipeline']:8.2f} examples/s")
    print(f"ratio (evaluate / bare encoder): {best['encoder'] / best['pipeline']:.3f}  (target >= 0.85)")


if __name__ == "__main__":
    main()
