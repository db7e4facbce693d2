"""The ``lcr-hub`` console script: its argument parser, built with the standard library only.

Why this lives outside the ``lcr_hub`` package: importing any ``lcr_hub.*`` module first runs
``lcr_hub/__init__.py``, which registers the LCR classes with transformers' ``AutoModel`` and so
imports torch and transformers (seconds). ``lcr-hub --help``, ``lcr-hub evaluate --help`` and
usage errors only need the parser, so the console script points here; a command that runs
imports :mod:`lcr_hub.cli` (and with it the library) after its arguments parsed. ``python -m
lcr_hub`` and :func:`lcr_hub.cli.main` use this same parser.

Defaults that are also library constants (``--seed``, ``--repo-id``) are spelled here because
reading ``lcr_hub.constants`` would import the package; tests/test_cli.py checks they agree.

Example:
    >>> build_parser().parse_args(["variants"]).command
    'variants'
"""

from __future__ import annotations

import argparse
from typing import Callable, Sequence

PROG = "lcr-hub"
DEFAULT_SEED = 42  # = lcr_hub.constants.DEFAULT_SEED (tests/test_cli.py)
DEFAULT_REPO_ID = "lcr-research/lcr-checkpoints"  # = lcr_hub.constants.DEFAULT_REPO_ID (tests/test_cli.py)
DTYPES = ("float32", "float16", "bfloat16")
ON_DUPLICATE_ERROR = "error"  # = lcr_hub.constants.ON_DUPLICATE_ERROR (tests/test_cli.py)
ON_DUPLICATE_KEEP_FIRST = "keep_first"  # = lcr_hub.constants.ON_DUPLICATE_KEEP_FIRST (tests/test_cli.py)
#: The option of every command that reads LCR data (the training scripts use it too).
KEEP_FIRST_DUPLICATE_FLAG = "--keep-first-duplicate"
KEEP_FIRST_DUPLICATE_OPTION = {
    "dest": "on_duplicate", "action": "store_const", "const": ON_DUPLICATE_KEEP_FIRST, "default": ON_DUPLICATE_ERROR,
    "help": "When an id repeats with different content, keep its first row and warn how many rows were dropped "
            "(default: refuse the data). For the original benchmark files, which repeat ids.",
}
DEVICE_HELP = "Torch device: cpu, cuda, cuda:1, mps or auto (default cpu); an unavailable one stops with exit 2."


def _count(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer >= ``minimum`` (a usage error, exit 2, names the option otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value

    return parse


def _tolerance(text: str) -> float:
    """An argparse ``type``: a float >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def _add_command(sub, name: str, purpose: str, *examples: str) -> argparse.ArgumentParser:
    """A subcommand whose help starts with its one-line purpose and ends with runnable examples."""
    epilog = "example:\n" + "\n".join(f"  {PROG} {name} {e}".rstrip() for e in examples)
    return sub.add_parser(name, help=purpose, description=purpose, epilog=epilog,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lcr-hub``; every option has help text, every command an example.

    Returns:
        The parser; ``parse_args`` leaves the subcommand's name in ``command``.

    Example:
        >>> args = build_parser().parse_args(["evaluate", "--device", "cuda:1"])
        >>> args.command, args.device, args.batch_size
        ('evaluate', 'cuda:1', 32)
    """
    parser = argparse.ArgumentParser(
        prog=PROG, description="LCR conflict detection models on the Hugging Face stack.",
        epilog=f"example:\n  {PROG} evaluate --no-progress\n  {PROG} evaluate --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ev = _add_command(sub, "evaluate", "Evaluate the detector and classifier on LCR-format data.",
                      "--data data/natural/validation.jsonl --output out/natural.json --plots out/",
                      "--bootstrap 0 --no-progress")
    ev.add_argument("--data", nargs="+", metavar="PATH",
                    help="LCR .jsonl files or folders, or Hub dataset repos hf://datasets/owner/name[@REV] (default: the bundled sample).")
    ev.add_argument(KEEP_FIRST_DUPLICATE_FLAG, **KEEP_FIRST_DUPLICATE_OPTION)
    ev.add_argument("--data-revision", metavar="REV", help="Revision of the Hub dataset repos in --data (pin a commit sha).")
    ev.add_argument("--detector", metavar="DIR", help="Detector checkpoint folder (default: embedded).")
    ev.add_argument("--classifier", metavar="DIR", help="Classifier checkpoint folder (default: embedded).")
    ev.add_argument("--output", metavar="FILE.json", help="Write the full report as JSON.")
    ev.add_argument("--batch-size", type=_count(1), default=32, help="Rows per encoder pass (default 32).")
    ev.add_argument("--device", default="cpu", help=DEVICE_HELP)
    ev.add_argument("--bootstrap", type=_count(0), default=1000, metavar="N",
                    help="Bootstrap replicates for 95%% intervals of the headline metrics (0 disables; default 1000).")
    ev.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"Seed of torch and of the bootstrap (default {DEFAULT_SEED}).")
    ev.add_argument("--deterministic", action="store_true", help="Use deterministic torch kernels (recorded in the JSON).")
    ev.add_argument("--plots", metavar="DIR", help="Write reliability_diagram.png and confusion_matrix.png here.")
    ev.add_argument("--max-windows", type=_count(1), default=None, metavar="N",
                    help="Cap on the windows read per row (default: none, every document is read); the report "
                         "counts what the cap dropped.")
    ev.add_argument("--no-progress", action="store_true",
                    help="Hide lcr_hub's own progress bars too (other libraries' bars are always off).")

    cal = _add_command(sub, "calibrate", "Fit the detector's and classifier's temperatures; write calibrated copies.",
                       "--data data/natural/validation.jsonl --output out/calibrated")
    cal.add_argument("--data", nargs="+", required=True, metavar="PATH", help="LCR .jsonl files or folders.")
    cal.add_argument(KEEP_FIRST_DUPLICATE_FLAG, **KEEP_FIRST_DUPLICATE_OPTION)
    cal.add_argument("--output", required=True, metavar="DIR", help="Folder for detector/ and classifier/.")
    cal.add_argument("--detector", metavar="DIR", help="Detector checkpoint folder (default: embedded).")
    cal.add_argument("--classifier", metavar="DIR", help="Classifier checkpoint folder (default: embedded).")
    cal.add_argument("--split", choices=("all", "validation"), default="all",
                     help="'all' (default): every row; 'validation': only the validation part of the training split (by id, seed).")
    cal.add_argument("--validation-fraction", type=float, default=0.2, metavar="F",
                     help="Share of the ids in the validation part, with --split validation (default 0.2).")
    cal.add_argument("--seed", type=int, default=DEFAULT_SEED,
                     help=f"Seed of the split and of the cross-fit halves (default {DEFAULT_SEED}).")
    cal.add_argument("--batch-size", type=_count(1), default=32, help="Rows per encoder pass (default 32).")
    cal.add_argument("--device", default="cpu", help=DEVICE_HELP)
    cal.add_argument("--no-progress", action="store_true",
                     help="Hide lcr_hub's own progress bars too (other libraries' bars are always off).")

    val = _add_command(sub, "validate",
                       "Recompute the reference outputs and validation ECE/Brier stored beside the weights; exit 1 on drift.",
                       "--reference-only", "--checkpoint out/calibrated --dtype bfloat16")
    val.add_argument("--checkpoint", metavar="DIR",
                     help="Folder holding detector/ and classifier/ (or <component>/minilm/ as on the Hub; default: embedded).")
    val.add_argument("--detector", metavar="DIR", help="Detector checkpoint folder (default: embedded).")
    val.add_argument("--classifier", metavar="DIR", help="Classifier checkpoint folder (default: embedded).")
    val.add_argument("--dtype", choices=DTYPES, default="float32", help="Dtype to run the models in (default float32).")
    val.add_argument("--atol", type=_tolerance, help="Allowed |drift| per probability (default from the dtype).")
    val.add_argument("--device", default="cpu", help=DEVICE_HELP)
    val.add_argument("--reference-only", action="store_true",
                     help="Skip recomputing ECE/Brier on the training run's validation set (minutes on CPU).")

    gen = _add_command(sub, "generate", "Answer LCR rows with the LCR system on a causal LM (one JSON line per row).",
                       "--base out/tiny-llama --detector out/tiny-llama-detector --refinement out/tiny-llama-refinement --limit 4")
    gen.add_argument("--base", required=True, metavar="ID_OR_DIR", help="The causal LM (Hub id or folder).")
    gen.add_argument("--detector", required=True, metavar="DIR", help="Detector trained on this base.")
    gen.add_argument("--refinement", required=True, metavar="DIR", help="Refinement trained on this base.")
    gen.add_argument("--classifier", metavar="DIR", help="Taxonomy classifier (routing); without it detected conflicts are refined.")
    gen.add_argument("--data", nargs="+", metavar="PATH", help="LCR .jsonl files or folders (default: the bundled sample).")
    gen.add_argument(KEEP_FIRST_DUPLICATE_FLAG, **KEEP_FIRST_DUPLICATE_OPTION)
    gen.add_argument("--limit", type=_count(1), help="Answer only the first N rows.")
    gen.add_argument("--base-revision", help="Hub revision of --base.")
    gen.add_argument("--dtype", choices=(*DTYPES, "auto"), help="dtype of the base.")
    gen.add_argument("--device", default="cpu", help=DEVICE_HELP + " Ignored with --device-map.")
    gen.add_argument("--device-map", help="Accelerate placement of the base, e.g. auto.")
    gen.add_argument("--max-memory", nargs="+", metavar="DEVICE=AMOUNT", help="Per-device budget, e.g. 0=20GiB 1=20GiB.")
    gen.add_argument("--max-new-tokens", type=_count(1), default=32, help="Longest answer in tokens (default 32).")
    gen.add_argument("--batch-size", type=_count(1), default=8, help="Rows per generation batch (default 8).")
    gen.add_argument("--seed", type=int, default=DEFAULT_SEED,
                     help=f"Seed of the self-consistency samples (default {DEFAULT_SEED}).")

    env = _add_command(sub, "env", "Versions, devices and where the embedded checkpoints and encoder are.",
                       "", "--device cuda --dtype bfloat16 --strict")
    env.add_argument("--json", action="store_true", help="Print JSON.")
    env.add_argument("--device", default="cpu", help="Device to check: cpu, cuda:0, auto... (default cpu; no GPU needed).")
    env.add_argument("--dtype", choices=DTYPES, default="float32", help="Dtype to check (default float32).")
    env.add_argument("--strict", action="store_true", help="Exit 1 unless every compatibility check passes.")

    var = _add_command(sub, "variants", "List the released variants pinned in the registry, or describe one.",
                       "", "detector/minilm")
    var.add_argument("name", nargs="?", help="A variant name or release tag to describe.")

    ver = _add_command(sub, "verify", "Re-hash a cached or local variant against the registry; exit 1 on any mismatch.",
                       "detector/minilm", "classifier-minilm-v1 --folder out/classifier-minilm")
    ver.add_argument("name", help="Variant name (e.g. detector/minilm) or release tag.")
    ver.add_argument("--folder", metavar="DIR", help="A local copy to check (default: the Hugging Face cache).")

    pub = _add_command(sub, "publish", "Publish a checkpoint folder as a variant: one commit, a tag, a registry entry.",
                       "out/calibrated/classifier --variant classifier/minilm_try --tag classifier-minilm_try-v1 --dry-run")
    pub.add_argument("source", metavar="DIR", help="A trained checkpoint folder.")
    pub.add_argument("--variant", required=True, help="Variant name = subfolder in the repo, e.g. classifier/minilm.")
    pub.add_argument("--tag", required=True, help="New tag for the commit (existing tags are refused).")
    pub.add_argument("--repo-id", default=DEFAULT_REPO_ID, help=f"Target repo (default {DEFAULT_REPO_ID}).")
    pub.add_argument("--branch", default="main", help="Branch to commit to (default main).")
    pub.add_argument("--output", metavar="DIR", help="Keep the prepared folder here (e.g. for `hf upload`).")
    pub.add_argument("--message", help="Commit message.")
    pub.add_argument("--dry-run", action="store_true", help="Prepare and print the plan; upload nothing.")

    con = _add_command(sub, "convert", "Convert a legacy torch.save state dict (tensors only) to a from_pretrained folder.",
                       "detector_llama3_8b.pt --output out/converted --base-model meta-llama/Meta-Llama-3-8B --layer-index 16")
    con.add_argument("path", metavar="FILE.pt", help="The legacy state dict (loaded with weights_only=True).")
    con.add_argument("--output", required=True, metavar="DIR", help="Folder to write config.json and model.safetensors to.")
    con.add_argument("--base-model", help="Base model the weights read (recorded in config.json).")
    con.add_argument("--layer-index", type=int, help="Hidden-states index of the base model they read.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lcr-hub`` console script.

    Parses first (``--help`` and usage errors exit here, before torch is imported), then runs
    the command with :func:`lcr_hub.cli.run`.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 on success, 1 when a check found a problem, 2 on an error.
    """
    args = build_parser().parse_args(argv)
    from lcr_hub.cli import run  # the library, torch and transformers: only now that a command runs

    return run(args)
