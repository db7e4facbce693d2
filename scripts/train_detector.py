#!/usr/bin/env python
"""Train the conflict detector on a frozen base: the embedded MiniLM encoder, or a causal LM (--base).

    python scripts/train_detector.py --data ../shared/data/lcr-bench/dev --output checkpoints/detector
    python scripts/train_detector.py --base out/tiny-llama --data lcr_hub/data/sample.jsonl --output out/tiny-llama-detector

Same as ``python -m lcr_hub.training detector ...`` (which works from an installed wheel).
"""

import sys

from lcr_hub.training.commands import run_command

if __name__ == "__main__":
    sys.exit(run_command("detector"))
