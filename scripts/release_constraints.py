#!/usr/bin/env python
"""Check (or, with --write, regenerate) constraints/release.txt against the embedded checkpoints' metadata.

    PYTHONPATH=$PWD python scripts/release_constraints.py            # exit 1 when the file is stale
    PYTHONPATH=$PWD python scripts/release_constraints.py --write    # after a release

The file pins the exact versions the `framework` section of checkpoints/*/training_metadata.json
records (of the checkpoints that record `steps`, which `lcr-hub rebuild` replays, when any does); `pip install torch==<version> -e . -c constraints/release.txt` installs them for a rebuild.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lcr_hub.checkpoint import checkpoints_root, read_metadata
from lcr_hub.constants import METADATA_NAME
from lcr_hub.steps import RELEASE_CONSTRAINTS
from lcr_hub.errors import LCRHubError
from lcr_hub.release_constraints import constraint_problems, constraints_text, pinned_versions, rebuildable

REPO = Path(__file__).resolve().parents[1]
COMPONENTS = ("detector", "classifier")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=REPO / RELEASE_CONSTRAINTS,
                        help=f"The constraints file (default {RELEASE_CONSTRAINTS} of this checkout).")
    parser.add_argument("--write", action="store_true", help="Write the file from the metadata instead of checking it.")
    args = parser.parse_args(argv)
    root = checkpoints_root()
    try:
        pins = pinned_versions(rebuildable(
            {c: read_metadata(root / c) for c in COMPONENTS if (root / c / METADATA_NAME).is_file()}))
        if args.write:
            sources = f"checkpoints/{{{','.join(COMPONENTS)}}}/{METADATA_NAME}"
            args.file.parent.mkdir(parents=True, exist_ok=True)
            args.file.write_text(constraints_text(pins, sources))
            print(f"wrote {args.file}")
            return 0
        problems = constraint_problems(args.file, pins)
    except LCRHubError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in problems:
        print(f"{args.file}: {line}")
    if problems:
        print("Regenerate it: python scripts/release_constraints.py --write")
        return 1
    print(f"{args.file} matches the checkpoints' recorded versions ({len(pins) - ('python' in pins)} packages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
