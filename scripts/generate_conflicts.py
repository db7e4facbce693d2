#!/usr/bin/env python
"""Generate synthetic LCR rows: conflicting rows and all-consistent (label-0) rows.

    python scripts/generate_conflicts.py --output-dir data/generated --n-per-level 1500 --n-consistent 1500 --seed 42

Writes ``conflicts.jsonl`` (``n_per_level`` rows for each of L1..L4) and ``consistent.jsonl``
(``n_consistent`` rows whose documents all agree) in the output folder, atomically, and
``generated_by.json`` (this command, the versions, both files' sha256): a training run that
reads these files records this command as a step (``lcr_hub.steps``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from lcr_hub.data.generator import generate_consistent_rows, generate_rows, write_jsonl
from lcr_hub.steps import write_generated_by

CONFLICTS_NAME = "conflicts.jsonl"
CONSISTENT_NAME = "consistent.jsonl"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", required=True, type=Path, help="Folder for conflicts.jsonl and consistent.jsonl.")
    parser.add_argument("--n-per-level", type=int, default=1500, help="Conflicting rows per level (default 1500).")
    parser.add_argument("--n-consistent", type=int, default=1500, help="All-consistent rows in total (default 1500).")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--min-documents", type=int, default=2)
    parser.add_argument("--max-documents", type=int, default=8)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    start = time.perf_counter()
    try:
        conflicts = generate_rows(
            args.n_per_level, seed=args.seed, min_documents=args.min_documents, max_documents=args.max_documents
        )
        consistent = generate_consistent_rows(
            args.n_consistent, seed=args.seed, min_documents=args.min_documents, max_documents=args.max_documents
        )
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    conflicts_path = write_jsonl(conflicts, args.output_dir / CONFLICTS_NAME)
    consistent_path = write_jsonl(consistent, args.output_dir / CONSISTENT_NAME)
    write_generated_by(args.output_dir, [conflicts_path, consistent_path])
    summary = {
        "conflicts": {"path": str(conflicts_path), "rows": len(conflicts),
                      "per_level": dict(sorted(Counter(r["conflict_level"] for r in conflicts).items()))},
        "consistent": {"path": str(consistent_path), "rows": len(consistent),
                       "per_level": dict(sorted(Counter(r["conflict_level"] for r in consistent).items()))},
        "seed": args.seed,
        "seconds": round(time.perf_counter() - start, 2),
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
