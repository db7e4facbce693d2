#!/usr/bin/env python
"""Generate synthetic LCR rows: conflicting rows and all-consistent (label-0) rows.

    python scripts/generate_conflicts.py --output-dir data/generated --n-per-level 1500 --n-consistent 1500 --seed 42
    python scripts/generate_conflicts.py --output-dir data/generated_long --long-only --long-per-level 150 \
        --long-consistent 150 --filler ../shared/data/lcr-bench/dev --seed 42

Writes ``conflicts.jsonl`` (``n_per_level`` rows for each of L1..L4) and ``consistent.jsonl``
(``n_consistent`` rows whose documents all agree) in the output folder, atomically, and
``generated_by.json`` (this command, the versions, both files' sha256): a training run that
reads these files records this command as a step (``lcr_hub.steps``). With ``--long-per-level`` / ``--long-consistent`` it also writes ``long_conflicts.jsonl`` and
``long_consistent.jsonl``: rows of 3-8 passages of 80-300 words of real prose read from the
``--filler`` LCR files (``lcr_hub.data.generator.passages``), and ``long_manifest.json`` with
the filler files' sha256 (the prose itself is never copied into the repository). With
``--dense`` the long rows' documents are written about their subject throughout, dense with
other values of the asked type (``lcr_hub.data.generator.facts``), and the filler only tops
each passage up to its length:

    python scripts/generate_conflicts.py --output-dir data/generated/dense_train --long-only --dense \
        --long-per-level 150 --long-consistent 150 --filler ../shared/data/lcr-bench/dev --seed 42

With ``--long-from FILE...`` the long rows are the given files' rows instead of generated ones
(``data/handwritten``'s, whose value sentences and rewordings were written by a person), each
document set in filler prose the same way; ``long_<file name>`` is written for each file and
the manifest records their sha256 too:

    python scripts/generate_conflicts.py --output-dir data/generated/long_handwritten \
        --long-from data/handwritten/conflicts.jsonl data/handwritten/consistent.jsonl \
        --filler ../shared/data/lcr-bench/dev --seed 42
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from lcr_hub._hashing import sha256_file
from lcr_hub.data import load_lcr_dataset, resolve_data_files
from lcr_hub.data.generator import generate_consistent_rows, generate_rows, write_jsonl
from lcr_hub.errors import LCRHubError
from lcr_hub.steps import write_generated_by
from lcr_hub.data.generator.passages import filler_sentences, generate_long_rows, lengthen_rows

CONFLICTS_NAME = "conflicts.jsonl"
CONSISTENT_NAME = "consistent.jsonl"
LONG_CONFLICTS_NAME = "long_conflicts.jsonl"
LONG_CONSISTENT_NAME = "long_consistent.jsonl"
LONG_MANIFEST_NAME = "long_manifest.json"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", required=True, type=Path, help="Folder for conflicts.jsonl and consistent.jsonl.")
    parser.add_argument("--n-per-level", type=int, default=1500, help="Conflicting rows per level (default 1500).")
    parser.add_argument("--n-consistent", type=int, default=1500, help="All-consistent rows in total (default 1500).")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--min-documents", type=int, default=2)
    parser.add_argument("--max-documents", type=int, default=8)
    parser.add_argument("--long-per-level", type=int, default=0,
                        help="Long conflicting rows per level (passages of real prose; needs --filler).")
    parser.add_argument("--long-consistent", type=int, default=0, help="Long all-consistent rows in total.")
    parser.add_argument("--filler", nargs="+", default=(), metavar="PATH",
                        help="LCR files or folders whose documents give the long rows' prose (read in place).")
    parser.add_argument("--long-only", action="store_true", help="Write only the long rows' files.")
    parser.add_argument("--dense", action="store_true",
                        help="Long rows with dense documents: about the subject throughout, with other values of "
                             "the asked type (lcr_hub.data.generator.facts); filler prose only tops them up.")
    parser.add_argument("--long-from", nargs="+", default=(), metavar="FILE", type=Path,
                        help="Set these LCR files' rows in filler passages instead of generated rows "
                             "(writes long_<file name> for each; implies --long-only; needs --filler).")
    return parser


def _write_long(args: argparse.Namespace) -> tuple[dict, list[Path]]:
    """Write the long rows and their manifest; return the summary and the written row files."""
    files = resolve_data_files(list(args.filler))
    filler = filler_sentences(files)
    summary: dict = {}
    written: list[Path] = []
    if args.long_from:
        sets = [(f"long_{source.name}", lengthen_rows(load_lcr_dataset([source]).to_list(), filler, seed=args.seed))
                for source in args.long_from]
    else:
        sets = [(name, generate_long_rows(n, filler, seed=args.seed, consistent=consistent, dense=args.dense))
                for name, n, consistent in ((LONG_CONFLICTS_NAME, args.long_per_level, False),
                                            (LONG_CONSISTENT_NAME, args.long_consistent, True)) if n]
    for name, rows in sets:
        path = write_jsonl(rows, args.output_dir / name)
        written.append(path)
        summary[name] = {"path": str(path), "rows": len(rows),
                         "per_level": dict(sorted(Counter(r["conflict_level"] for r in rows).items()))}
    manifest = {"filler": [{"path": str(f), "sha256": sha256_file(f)} for f in files],
                "filler_sentences": len(filler), "seed": args.seed}
    if args.long_from:
        manifest["rows_from"] = [{"path": str(f), "sha256": sha256_file(f)} for f in args.long_from]
    (args.output_dir / LONG_MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    summary["manifest"] = manifest
    return summary, written


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    start = time.perf_counter()
    if (args.long_per_level or args.long_consistent or args.long_from) and not args.filler:
        print("error: long rows need --filler (LCR files whose documents give the prose)", file=sys.stderr)
        return 2
    if args.dense and (args.long_from or not (args.long_per_level or args.long_consistent)):
        print("error: --dense applies to generated long rows: give --long-per-level/--long-consistent, "
              "not --long-from", file=sys.stderr)
        return 2
    if args.long_from and (args.long_per_level or args.long_consistent):
        print("error: --long-from replaces the generated long rows: drop --long-per-level/--long-consistent",
              file=sys.stderr)
        return 2
    if args.long_only or args.long_from:
        try:
            summary, written = _write_long(args)
        except (ValueError, LCRHubError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        write_generated_by(args.output_dir, written)
        print(json.dumps({**summary, "seconds": round(time.perf_counter() - start, 2)}, indent=2))
        return 0
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
    written = [conflicts_path, consistent_path]
    summary = {
        "conflicts": {"path": str(conflicts_path), "rows": len(conflicts),
                      "per_level": dict(sorted(Counter(r["conflict_level"] for r in conflicts).items()))},
        "consistent": {"path": str(consistent_path), "rows": len(consistent),
                       "per_level": dict(sorted(Counter(r["conflict_level"] for r in consistent).items()))},
        "seed": args.seed,
    }
    if args.long_per_level or args.long_consistent:
        summary["long"], long_written = _write_long(args)
        written += long_written
    write_generated_by(args.output_dir, written)
    summary["seconds"] = round(time.perf_counter() - start, 2)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
