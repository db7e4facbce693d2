#!/usr/bin/env python
"""Train the conflict detector on a frozen base: the embedded MiniLM encoder, or a causal LM (--base).

    python scripts/train_detector.py --data ../shared/data/lcr-bench/dev --output lcr_hub/checkpoints/detector
    python scripts/train_detector.py --base out/tiny-llama --data lcr_hub/data/sample.jsonl --output out/tiny-llama-detector
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import main  # noqa: E402

from lcr_hub.training import train_detector  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(train_detector, __doc__.splitlines()[0], "lcr_hub/checkpoints/detector", causal_base=True))
