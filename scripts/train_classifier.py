#!/usr/bin/env python
"""Train the embedded taxonomy classifier head on the frozen MiniLM encoder.

    python scripts/train_classifier.py --data ../shared/data/lcr-bench/dev --output checkpoints/classifier

Same as ``python -m lcr_hub.training classifier ...`` (which works from an installed wheel).
"""

import sys

from lcr_hub.training.commands import run_command

if __name__ == "__main__":
    sys.exit(run_command("classifier"))
