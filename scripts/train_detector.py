#!/usr/bin/env python
"""Train the embedded conflict detector (documents pooling) on the frozen MiniLM encoder.

    python scripts/train_detector.py --data ../shared/data/lcr-bench/dev --output checkpoints/detector
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import main  # noqa: E402

from lcr_hub.training import train_embedded_detector  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(train_embedded_detector, __doc__.splitlines()[0], "checkpoints/detector"))
