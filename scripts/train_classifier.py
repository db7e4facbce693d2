#!/usr/bin/env python
"""Train the embedded taxonomy classifier head on the frozen MiniLM encoder.

    python scripts/train_classifier.py --data ../shared/data/lcr-bench/dev --output lcr_hub/checkpoints/classifier
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import main  # noqa: E402

from lcr_hub.training import train_embedded_classifier  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(train_embedded_classifier, __doc__.splitlines()[0], "lcr_hub/checkpoints/classifier"))
