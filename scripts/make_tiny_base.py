#!/usr/bin/env python
"""Write a small randomly initialised causal LM and its tokenizer, offline, to try the LCR system.

    python scripts/make_tiny_base.py --family llama --output out/tiny-llama

The tokenizer is a byte-level BPE trained on the bundled sample rows (the llama one has a
chat template); the weights are random (std 0.2, so hidden states have a realistic size).
Its answers are noise: it shows the mechanics (detection, refinement, routing, training),
not answer quality.
"""

import argparse
import sys

from lcr_hub._modules.tiny import FAMILIES, save_tiny_base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=FAMILIES, default="llama")
    parser.add_argument("--output", required=True, help="Folder to write (loadable with from_pretrained).")
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folder = save_tiny_base(args.output, args.family, seed=args.seed, hidden_size=args.hidden_size,
                            intermediate_size=2 * args.hidden_size, num_layers=args.layers, initializer_range=0.2)
    print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
