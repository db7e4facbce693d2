"""`python -m lcr_hub` runs the `lcr-hub` command line."""

import sys

from .cli import main

sys.exit(main())
