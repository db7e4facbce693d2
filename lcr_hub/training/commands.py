"""Command lines of the training runs: ``python -m lcr_hub.training detector|classifier|refinement``.

They work from an installed wheel (no repository needed); ``scripts/train_*.py`` are thin
wrappers over :func:`run_command` and keep their documented command lines.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Callable, Sequence

from lcr_hub_cli import KEEP_FIRST_DUPLICATE_FLAG, KEEP_FIRST_DUPLICATE_OPTION, fraction

from ..constants import INPUT_MODE_WINDOWS, PRECISION_FLOAT32, TRAINING_PRECISIONS, WINDOWED_INPUT_MODES
from ..errors import LCRHubError
from .runs import TrainingRun

#: ``TrainingRun`` fields filled from the optional arguments some commands add.
OPTIONAL_RUN_FIELDS = ("init_from", "base", "base_revision", "dtype", "pooling", "document_attention", "mixing_layers",
                       "input_mode", "precision", "max_steps", "warmup_steps", "save_every", "state_dir", "resume", "device_map", "on_duplicate")
PROGRAM = "python -m lcr_hub.training"


@dataclass(frozen=True)
class TrainingCommand:
    """One training command: what it trains, where it writes by default, which options it adds.

    Args:
        name: The subcommand (``detector``, ``classifier``, ``refinement``).
        description: One line for ``--help``.
        default_output: The ``--output`` default (relative to the working directory).
        example: A command line shown in ``--help``.
        causal_base: Add ``--base`` and friends (optional) and ``--pooling``.
        refinement: Add ``--base`` (required) and the refinement run's options.
    """

    name: str
    description: str
    default_output: str
    example: str
    causal_base: bool = False
    refinement: bool = False

    def trainer(self) -> Callable[[TrainingRun], dict | None]:
        """The function that runs the training (imported on use: refinement pulls in accelerate)."""
        if self.refinement:
            from .refinement import train_refinement

            return train_refinement
        from .runs import train_detector, train_embedded_classifier

        return train_detector if self.causal_base else train_embedded_classifier

    def run_class(self) -> type[TrainingRun]:
        """``RefinementRun`` for the refinement command, else ``TrainingRun``."""
        if self.refinement:
            from .refinement import RefinementRun

            return RefinementRun
        return TrainingRun


COMMANDS: dict[str, TrainingCommand] = {
    command.name: command
    for command in (
        TrainingCommand(
            "detector",
            "Train the conflict detector on a frozen base: the embedded MiniLM encoder, or a causal LM (--base).",
            "checkpoints/detector",
            f"{PROGRAM} detector --data lcr_hub/data/sample.jsonl --epochs 1 --output out/detector",
            causal_base=True,
        ),
        TrainingCommand(
            "classifier",
            "Train the embedded taxonomy classifier head on the frozen MiniLM encoder.",
            "checkpoints/classifier",
            f"{PROGRAM} classifier --data lcr_hub/data/sample.jsonl --epochs 1 --output out/classifier",
        ),
        TrainingCommand(
            "refinement",
            "Train the LCR refinement module on a frozen causal LM (answer CE + KL + step penalty).",
            "out/refinement",
            f"{PROGRAM} refinement --base out/tiny-llama --data lcr_hub/data/sample.jsonl --max-steps 20 "
            "--output out/tiny-llama-refinement",
            refinement=True,
        ),
    )
}


def training_parser(description: str, default_output: str, prog: str | None = None,
                    epilog: str | None = None) -> argparse.ArgumentParser:
    """The options every training command shares (data, output, seed, optimisation).

    Args:
        description: The parser's description.
        default_output: Default of ``--output``.
        prog: Program name shown in usage (default: argparse's).
        epilog: Text after the options (an example).

    Returns:
        The parser.

    Example:
        >>> args = training_parser("Train.", "out/x").parse_args(["--data", "a.jsonl"])
        >>> (args.output, args.batch_size, args.seed)
        ('out/x', 32, 42)
    """
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="+", required=True, metavar="PATH",
                        help="LCR .jsonl files or folders, split by id into train and validation parts.")
    parser.add_argument("--extra-train", nargs="+", default=(), metavar="PATH",
                        help="Conflict rows used for training only (e.g. generated ones).")
    parser.add_argument("--consistent", nargs="+", default=(), metavar="PATH",
                        help="Rows whose documents all agree: extra negatives for the detector.")
    parser.add_argument("--report", nargs="+", default=(), metavar="NAME=PATH",
                        help="Named sets to measure and record, never trained on (e.g. natural=data/natural).")
    parser.add_argument(KEEP_FIRST_DUPLICATE_FLAG, **KEEP_FIRST_DUPLICATE_OPTION)  # as lcr-hub evaluate spells it
    parser.add_argument("--output", default=default_output, help=f"Checkpoint folder to write (default {default_output}).")
    parser.add_argument("--seed", type=int, default=42, help="Seed of the split, the initialisation and the batches.")
    parser.add_argument("--validation-fraction", type=fraction, default=0.2,
                        help="Share of ids held out for validation (default 0.2).")
    parser.add_argument("--epochs", type=int, default=None, help="Training epochs (default: the component's).")
    parser.add_argument("--batch-size", type=int, default=32, help="Examples per optimiser step (default 32).")
    parser.add_argument("--learning-rate", type=float, default=None, help="Learning rate (default: the component's).")
    parser.add_argument("--encode-batch-size", type=int, default=32, help="Rows per encoder pass (default 32).")
    parser.add_argument("--layer-index", type=int, default=None, help="Encoder layer the head reads.")
    parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")
    parser.add_argument("--init-from", default=None, metavar="DIR",
                        help="Start from the weights of a checkpoint folder of the same shape (e.g. the previous "
                             "embedded one) instead of a fresh initialisation; recorded in the metadata.")
    return parser


def add_base_arguments(parser: argparse.ArgumentParser, required: bool = False) -> None:
    """Add ``--base`` and friends: the causal LM whose hidden states LCR reads.

    Args:
        parser: The parser to extend.
        required: Make ``--base`` required (refinement).
    """
    parser.add_argument("--base", required=required, metavar="ID_OR_DIR",
                        help="Causal LM (Hub id or folder) whose states are read at --layer-index "
                             "(default half its depth), on the LCR system's prompt.")
    parser.add_argument("--base-revision", default=None, help="Hub revision of --base (branch, tag or commit).")
    parser.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default=None,
                        help="dtype of --base (default: the checkpoint's).")
    parser.add_argument("--device-map", default=None,
                        help="Accelerate placement of --base in one process, e.g. auto (spreads it over the GPUs).")


def build_parser(command: TrainingCommand, prog: str | None = None) -> argparse.ArgumentParser:
    """The full parser of one training command.

    Args:
        command: The command (see :data:`COMMANDS`).
        prog: Program name shown in usage.

    Returns:
        The parser.

    Example:
        >>> parser = build_parser(COMMANDS["refinement"])
        >>> args = parser.parse_args(["--base", "b", "--data", "d.jsonl"])
        >>> (args.output, args.warmup_steps, args.save_every)
        ('out/refinement', 10, 50)
    """
    parser = training_parser(command.description, command.default_output, prog=prog,
                             epilog=f"example:\n  {command.example}" if command.example else None)
    if command.causal_base:
        add_base_arguments(parser)
        parser.add_argument("--pooling", choices=("mean", "documents"), default=None,
                            help="Detector pooling (default: documents on the embedded encoder, mean on --base).")
        parser.add_argument("--document-attention", choices=("tokens", "query"), default="tokens",
                            help="How document pooling scores a token: on its own state (default), or also "
                                 "against the query's tokens (windowed input: the embedded encoder).")
        parser.add_argument("--mixing-layers", type=int, default=None, metavar="N",
                            help="Trainable blocks before document pooling on the embedded encoder, initialised "
                                 "from its blocks after --layer-index (default 1).")
    if command.refinement:
        add_base_arguments(parser, required=True)
        parser.add_argument("--max-steps", type=int, default=None, help="Optimiser steps (default: --epochs, 3, passes).")
        parser.add_argument("--warmup-steps", type=int, default=10, help="Linear warm-up steps (default 10).")
        parser.add_argument("--save-every", type=int, default=50, help="Write the resumable state every N steps.")
        parser.add_argument("--state-dir", default=None, help="Resumable state folder (default: <output>.state).")
        parser.add_argument("--resume", action="store_true", help="Continue from --state-dir.")
    else:
        parser.add_argument("--input-mode", choices=WINDOWED_INPUT_MODES, default=INPUT_MODE_WINDOWS,
                            help="How the embedded encoder reads a row: each document with the query in its own "
                                 "windows (default), or as many whole documents together as fit in one window, "
                                 "continued in further windows (packed: a short row reads as one joint sequence). "
                                 "A detector and a classifier of the same mode share one encoder pass.")
        parser.add_argument("--precision", choices=TRAINING_PRECISIONS, default=PRECISION_FLOAT32,
                            help="Arithmetic of the encoder passes and the head's training on the embedded encoder "
                                 "(default float32). float64 saves float32 weights that do not depend on the CPU's "
                                 "kernels: a release that rebuilds byte for byte on other CPUs (docs/training.md).")
    return parser


def run_from_args(args: argparse.Namespace, run_class: type[TrainingRun] = TrainingRun) -> TrainingRun:
    """The training run that parsed command-line arguments describe.

    Args:
        args: Parsed by :func:`build_parser`.
        run_class: ``TrainingRun`` or ``RefinementRun``.

    Returns:
        The run.

    Raises:
        SystemExit: A ``--report`` item is not ``NAME=PATH``.

    Example:
        >>> args = build_parser(COMMANDS["classifier"]).parse_args(["--data", "a.jsonl", "--report", "n=b.jsonl"])
        >>> run = run_from_args(args)
        >>> (run.output, run.report)
        ('checkpoints/classifier', {'n': ['b.jsonl']})
    """
    report: dict[str, list[str]] = {}
    for item in args.report:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"--report expects NAME=PATH, got {item!r}")
        report.setdefault(name, []).append(path)
    extra = {k: getattr(args, k) for k in OPTIONAL_RUN_FIELDS if hasattr(args, k)}
    return run_class(
        data=args.data, output=args.output, extra_train=args.extra_train, consistent=args.consistent, report=report,
        seed=args.seed, validation_fraction=args.validation_fraction, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=args.learning_rate, encode_batch_size=args.encode_batch_size, layer_index=args.layer_index,
        progress=not args.no_progress, **extra,
    )


def run_training(command: TrainingCommand, argv: Sequence[str] | None = None, prog: str | None = None,
                 train: Callable[[TrainingRun], dict | None] | None = None) -> int:
    """Parse a training command line, train, and print where the weights went (JSON).

    Args:
        command: The command (see :data:`COMMANDS`).
        argv: The options (default ``sys.argv[1:]``).
        prog: Program name shown in usage and errors (default: argparse's, the script's name).
        train: The training function (default: the command's).

    Returns:
        The exit code: 0, or 2 on an lcr_hub error (bad data or checkpoint: one line on
        stderr, no traceback, as ``lcr-hub`` prints it).

    Raises:
        SystemExit: Bad arguments (argparse).

    Example:
        >>> run_training(COMMANDS["classifier"], ["--help"])
        Traceback (most recent call last):
        SystemExit: 0
    """
    import sys

    parser = build_parser(command, prog=prog)
    args = parser.parse_args(argv)
    try:
        metadata = (train or command.trainer())(run_from_args(args, command.run_class()))
    except LCRHubError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    if metadata is None:  # a non-main process under `accelerate launch`
        return 0
    summary = {"output": args.output, "weights_sha256": metadata["weights_sha256"], "validation": metadata["validation"]}
    print(json.dumps(summary, indent=2))
    return 0


def run_command(name: str, argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """:func:`run_training` of the command called ``name`` (what ``scripts/train_*.py`` run).

    Args:
        name: ``detector``, ``classifier`` or ``refinement``.
        argv: The options (default ``sys.argv[1:]``).
        prog: Program name shown in usage and errors.

    Returns:
        The exit code.

    Raises:
        SystemExit: Bad arguments, or an unknown command name.

    Example:
        >>> run_command("classifier", ["--help"])
        Traceback (most recent call last):
        SystemExit: 0
    """
    if name not in COMMANDS:
        raise SystemExit(f"unknown training command {name!r}; choose one of {sorted(COMMANDS)}")
    return run_training(COMMANDS[name], argv, prog)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m lcr_hub.training COMMAND [options]``.

    Args:
        argv: ``[COMMAND, *options]`` (default ``sys.argv[1:]``).

    Returns:
        The exit code.

    Example:
        >>> main(["--help"])
        Traceback (most recent call last):
        SystemExit: 0
    """
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    usage = f"usage: {PROGRAM} {{{','.join(COMMANDS)}}} [options]   ({PROGRAM} COMMAND --help for the options)"
    if not argv or argv[0] in ("-h", "--help"):
        print(usage)
        for command in COMMANDS.values():
            print(f"  {command.name:<11} {command.description}")
        raise SystemExit(0 if argv else 2)
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(usage, file=sys.stderr)
        print(f"{PROGRAM}: error: unknown command {name!r}", file=sys.stderr)
        return 2
    return run_command(name, rest, prog=f"{PROGRAM} {name}")
