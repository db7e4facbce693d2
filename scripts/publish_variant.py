#!/usr/bin/env python
"""Publish a trained checkpoint folder as a Hub variant: the same code as `lcr-hub publish`.

    python scripts/publish_variant.py checkpoints/classifier --variant classifier/minilm \
        --tag classifier-minilm-v2 [--dry-run] [--output release/classifier-minilm]
"""

import sys

from lcr_hub.cli import main

if __name__ == "__main__":
    sys.exit(main(["publish", *sys.argv[1:]]))
