#!/usr/bin/env python
"""Train the LCR refinement module on a frozen causal LM (answer CE + KL + step penalty).

    python scripts/train_refinement.py --base out/tiny-llama --data lcr_hub/data/sample.jsonl --output out/tiny-llama-refinement
    accelerate launch --multi_gpu --num_processes 4 scripts/train_refinement.py --base meta-llama/Meta-Llama-3-8B-Instruct \
        --dtype bfloat16 --data ../shared/data/lcr-bench/dev --output out/llama3-refinement
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import main  # noqa: E402

from lcr_hub.training.refinement import train_refinement  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(train_refinement, __doc__.splitlines()[0], "out/refinement", refinement=True))
