#!/usr/bin/env python
"""Train the LCR refinement module on a frozen causal LM (answer CE + KL + step penalty).

    python scripts/train_refinement.py --base out/tiny-llama --data lcr_hub/data/sample.jsonl --output out/tiny-llama-refinement
    accelerate launch --multi_gpu --num_processes 4 scripts/train_refinement.py --base meta-llama/Meta-Llama-3-8B-Instruct \
        --dtype bfloat16 --data ../shared/data/lcr-bench/dev --output out/llama3-refinement

Same as ``python -m lcr_hub.training refinement ...`` (which works from an installed wheel).
"""

import sys

from lcr_hub.training.commands import run_command

if __name__ == "__main__":
    sys.exit(run_command("refinement"))
