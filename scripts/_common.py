"""Argument parsing shared by the training scripts (kept out of the library's public API)."""

from __future__ import annotations

import argparse

from lcr_hub.training import TrainingRun


def training_parser(description: str, default_output: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", nargs="+", required=True, metavar="PATH",
                        help="LCR .jsonl files or folders, split by id into train and validation parts.")
    parser.add_argument("--extra-train", nargs="+", default=(), metavar="PATH",
                        help="Conflict rows used for training only (e.g. generated ones).")
    parser.add_argument("--consistent", nargs="+", default=(), metavar="PATH",
                        help="Rows whose documents all agree: extra negatives for the detector.")
    parser.add_argument("--report", nargs="+", default=(), metavar="NAME=PATH",
                        help="Named sets to measure and record, never trained on (e.g. natural=data/natural).")
    parser.add_argument("--output", default=default_output, help=f"Checkpoint folder to write (default {default_output}).")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--validation-fraction", type=float, default=0.2)
    parser.add_argument("--epochs", type=int, default=None, help="Training epochs (default: the component's).")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--encode-batch-size", type=int, default=32)
    parser.add_argument("--layer-index", type=int, default=None, help="Encoder layer the head reads.")
    parser.add_argument("--no-progress", action="store_true")
    return parser


def run_from_args(args: argparse.Namespace) -> TrainingRun:
    report = {}
    for item in args.report:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"--report expects NAME=PATH, got {item!r}")
        report.setdefault(name, []).append(path)
    return TrainingRun(
        data=args.data, output=args.output, extra_train=args.extra_train, consistent=args.consistent, report=report, seed=args.seed, validation_fraction=args.validation_fraction,
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        encode_batch_size=args.encode_batch_size, layer_index=args.layer_index, progress=not args.no_progress,
    )


def main(train, description: str, default_output: str) -> int:
    """Parse the command line, run ``train(TrainingRun)`` and print where the weights went."""
    import json

    args = training_parser(description, default_output).parse_args()
    metadata = train(run_from_args(args))
    summary = {"output": args.output, "weights_sha256": metadata["weights_sha256"], "validation": metadata["validation"]}
    print(json.dumps(summary, indent=2))
    return 0
