#!/usr/bin/env python
"""Check that this machine can run LCR: the same code and output as `lcr-hub env`.

    python scripts/verify_environment.py [--strict] [--device cuda:0] [--dtype bfloat16] [--json]

--strict exits 1 unless every compatibility check passes (a GPU is never required).
"""

import sys

from lcr_hub.cli import main

if __name__ == "__main__":
    sys.exit(main(["env", *sys.argv[1:]]))
