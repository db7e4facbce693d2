"""Argument parsing shared by the training scripts (kept out of the library's public API)."""

from __future__ import annotations

import argparse

from lcr_hub_cli import KEEP_FIRST_DUPLICATE_FLAG, KEEP_FIRST_DUPLICATE_OPTION
from lcr_hub.errors import LCRHubError
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
    parser.add_argument(KEEP_FIRST_DUPLICATE_FLAG, **KEEP_FIRST_DUPLICATE_OPTION)
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


def add_base_arguments(parser: argparse.ArgumentParser, required: bool = False) -> None:
    """--base and friends: the causal LM whose hidden states LCR reads."""
    parser.add_argument("--base", required=required, metavar="ID_OR_DIR",
                        help="Causal LM (Hub id or folder) whose states are read at --layer-index "
                             "(default half its depth), on the LCR system's prompt.")
    parser.add_argument("--base-revision", default=None, help="Hub revision of --base (branch, tag or commit).")
    parser.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default=None,
                        help="dtype of --base (default: the checkpoint's).")
    parser.add_argument("--device-map", default=None,
                        help="Accelerate placement of --base in one process, e.g. auto (spreads it over the GPUs).")


def run_from_args(args: argparse.Namespace, run_class=TrainingRun) -> TrainingRun:
    report = {}
    for item in args.report:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"--report expects NAME=PATH, got {item!r}")
        report.setdefault(name, []).append(path)
    extra = {k: getattr(args, k) for k in ("base", "base_revision", "dtype", "pooling", "max_steps", "warmup_steps",
                                           "save_every", "state_dir", "resume", "device_map", "on_duplicate")
             if hasattr(args, k)}
    return run_class(
        data=args.data, output=args.output, extra_train=args.extra_train, consistent=args.consistent, report=report, seed=args.seed, validation_fraction=args.validation_fraction,
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        encode_batch_size=args.encode_batch_size, layer_index=args.layer_index, progress=not args.no_progress,
        **extra,
    )


def main(train, description: str, default_output: str, *, causal_base: bool = False, refinement: bool = False) -> int:
    """Parse the command line, run ``train(run)`` and print where the weights went.

    ``causal_base`` adds --base/--base-revision/--dtype/--pooling (detector); ``refinement``
    adds them (--base required) with the refinement run's options.
    """
    import json
    import sys

    parser = training_parser(description, default_output)
    run_class = TrainingRun
    if causal_base:
        add_base_arguments(parser)
        parser.add_argument("--pooling", choices=("mean", "documents"), default=None,
                            help="Detector pooling (default: documents on the embedded encoder, mean on --base).")
    if refinement:
        from lcr_hub.training.refinement import RefinementRun

        run_class = RefinementRun
        add_base_arguments(parser, required=True)
        parser.add_argument("--max-steps", type=int, default=None, help="Optimiser steps (default: --epochs, 3, passes).")
        parser.add_argument("--warmup-steps", type=int, default=10)
        parser.add_argument("--save-every", type=int, default=50, help="Write the resumable state every N steps.")
        parser.add_argument("--state-dir", default=None, help="Resumable state folder (default: <output>.state).")
        parser.add_argument("--resume", action="store_true", help="Continue from --state-dir.")
    args = parser.parse_args()
    try:
        metadata = train(run_from_args(args, run_class))
    except LCRHubError as error:  # bad data or checkpoint: one clear line, no traceback (as lcr-hub does)
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    if metadata is None:  # a non-main process under `accelerate launch`
        return 0
    summary = {"output": args.output, "weights_sha256": metadata["weights_sha256"], "validation": metadata["validation"]}
    print(json.dumps(summary, indent=2))
    return 0
