#!/usr/bin/env python
"""Recompute the reference outputs and calibration figures of a checkpoints folder: `lcr-hub validate`.

    python scripts/eval_calibration.py --checkpoint checkpoints/ [--reference-only] [--dtype bfloat16]

Exits 1 and prints "Calibration drift detected" when this machine's results drift.
"""

import sys

from lcr_hub.cli import main

if __name__ == "__main__":
    sys.exit(main(["validate", *sys.argv[1:]]))
