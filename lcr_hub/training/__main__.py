"""``python -m lcr_hub.training detector|classifier|refinement [options]``: train from an installed package.

Example::

    python -m lcr_hub.training detector --data lcr_hub/data/sample.jsonl --epochs 1 --output out/detector
"""

import sys

from .commands import PROGRAM, main

if __name__ == "__main__":
    # The training metadata records sys.argv as the command that made the checkpoint: record
    # the module invocation the user typed rather than the path of this file.
    arguments = sys.argv[1:]
    sys.argv = [*PROGRAM.split(), *arguments]
    sys.exit(main(arguments))
