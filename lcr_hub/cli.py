"""The `lcr-hub` command line: thin wrappers over the library."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from .constants import DEFAULT_REPO_ID, ON_DUPLICATE_ERROR, ON_DUPLICATE_KEEP_FIRST
from .errors import LCRHubError


#: The option of every command that reads LCR data (the training scripts use it too).
KEEP_FIRST_DUPLICATE_FLAG = "--keep-first-duplicate"
KEEP_FIRST_DUPLICATE_OPTION = {
    "dest": "on_duplicate", "action": "store_const", "const": ON_DUPLICATE_KEEP_FIRST, "default": ON_DUPLICATE_ERROR,
    "help": "When an id repeats with different content, keep its first row and warn how many rows were dropped "
            "(default: refuse the data). For the original benchmark files, which repeat ids.",
}


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation.evaluate import evaluate, format_report

    report = evaluate(
        args.data,
        data_revision=args.data_revision,
        on_duplicate=args.on_duplicate,
        detector=args.detector,
        classifier=args.classifier,
        batch_size=args.batch_size,
        device=args.device,
        bootstrap=args.bootstrap,
        seed=args.seed,
        plots=args.plots,
        deterministic=args.deterministic,
        progress=not args.no_progress,
    )
    if report is None:  # another process of a multi-process run: the main one reports
        return 0
    print(format_report(report))
    if args.output:
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(json.dumps(report, indent=2) + "\n")
        tmp.replace(output)
        print(f"\nwrote {output}")
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from .evaluation.calibration import calibrate

    records = calibrate(
        args.data, args.output, detector=args.detector, classifier=args.classifier, split=args.split,
        validation_fraction=args.validation_fraction, seed=args.seed, batch_size=args.batch_size,
        device=args.device, progress=not args.no_progress, on_duplicate=args.on_duplicate,
    )
    for name, r in records.items():
        b, a = r["before"], r["after"]
        print(f"{name:<11} T {b['temperature']:.4f} -> {a['temperature']:.4f}   NLL {b['nll']:.4f} -> {a['nll']:.4f}   "
              f"ECE {b['ece']:.4f} -> {a['ece']:.4f}   (n={r['n']}, fitted and scored on the same examples)")
        if r["cross_fitted"] is None:
            print(f"{'':<11} not fitted: {r['reason']}")
            continue
        cb, ca, (t1, t2) = r["cross_fitted"]["before"], r["cross_fitted"]["after"], r["cross_fitted"]["temperatures"]
        print(f"{'':<11} cross-fitted (T {t1:.4f} / {t2:.4f} fitted on each half, scored on the other): "
              f"NLL {cb['nll']:.4f} -> {ca['nll']:.4f}   ECE {cb['ece']:.4f} -> {ca['ece']:.4f}")
    print(f"wrote {Path(args.output) / 'detector'} and {Path(args.output) / 'classifier'}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .checkpoint import default_checkpoint
    from .hub.layout import component_folder
    from .evaluation.reference import DRIFT_MESSAGE, format_validation, validate_checkpoints

    def folder(component: str):
        return component_folder(args.checkpoint, component) if args.checkpoint else default_checkpoint(component)

    folders = [args.detector or folder("detector"), args.classifier or folder("classifier")]
    reports = validate_checkpoints(
        folders, dtype=args.dtype, atol=args.atol, device=args.device, recompute_figures=not args.reference_only
    )
    print(format_validation(reports))
    if all(r["ok"] for r in reports):
        return 0
    print(DRIFT_MESSAGE, file=sys.stderr)
    return 1


def _cmd_generate(args: argparse.Namespace) -> int:
    from .system import generate_report

    max_memory = {}
    for item in args.max_memory or ():
        device, sep, amount = item.partition("=")
        if not sep:
            raise SystemExit(f"--max-memory expects DEVICE=AMOUNT (e.g. 0=20GiB or cpu=64GiB), got {item!r}")
        max_memory[int(device) if device.isdigit() else device] = amount
    report = generate_report(
        args.base, args.detector, args.refinement, classifier=args.classifier, data=args.data, limit=args.limit,
        base_revision=args.base_revision, dtype=args.dtype, device=args.device, device_map=args.device_map,
        max_memory=max_memory or None, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size,
        seed=args.seed, on_duplicate=args.on_duplicate,
    )
    for row in report["rows"]:
        print(json.dumps(row))
    print(json.dumps({"routes": report["routes"]}))
    return 0


def _cmd_env(args: argparse.Namespace) -> int:
    from .env import environment_report, format_environment

    report = environment_report(device=args.device, dtype=args.dtype)
    print(json.dumps(report, indent=2) if args.json else format_environment(report))
    return 1 if args.strict and not report["compatibility"]["fully_compatible"] else 0


def _cmd_variants(args: argparse.Namespace) -> int:
    from .hub import describe_variant, list_variants

    if args.name:
        print(describe_variant(args.name))
    for v in [] if args.name else list_variants():
        print(f"{v.name:<28} {v.tag:<32} {v.commit}  {v.repo_id}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from .hub.loading import verify_variant

    folder, checks = verify_variant(args.name, folder=args.folder)
    print(f"{args.name}: {folder}")
    for check in checks:
        print(check.line())
    bad = [c for c in checks if not c.ok]
    print(f"{len(checks) - len(bad)} ok, {len(bad)} bad")
    return 1 if bad else 0


def _cmd_publish(args: argparse.Namespace) -> int:
    from .hub.publish import publish_variant

    plan = publish_variant(args.source, args.variant, args.tag, repo_id=args.repo_id, branch=args.branch,
                           output=args.output, dry_run=args.dry_run, commit_message=args.message)
    print(plan.describe())
    if args.dry_run:
        print("dry run: nothing uploaded, registry unchanged")
    else:
        print(f"commit {plan.commit}\ntagged {plan.tag}; registry updated")
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    from .hub.convert import convert_legacy_checkpoint

    folder = convert_legacy_checkpoint(args.path, args.output, base_model_name_or_path=args.base_model,
                                       layer_index=args.layer_index)
    print(f"wrote {folder}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lcr-hub`` (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(prog="lcr-hub", description="LCR conflict detection models on the Hugging Face stack.")
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("evaluate", help="Evaluate the detector and classifier on LCR-format data.")
    ev.add_argument("--data", nargs="+", metavar="PATH",
                    help="LCR .jsonl files or folders, or Hub dataset repos hf://datasets/owner/name[@REV] (default: the bundled sample).")
    ev.add_argument("--data-revision", metavar="REV", help="Revision of the Hub dataset repos in --data (pin a commit sha).")
    ev.add_argument("--detector", metavar="DIR", help="Detector checkpoint folder (default: embedded).")
    ev.add_argument(KEEP_FIRST_DUPLICATE_FLAG, **KEEP_FIRST_DUPLICATE_OPTION)
    ev.add_argument("--classifier", metavar="DIR", help="Classifier checkpoint folder (default: embedded).")
    ev.add_argument("--output", metavar="FILE.json", help="Write the full report as JSON.")
    ev.add_argument("--batch-size", type=int, default=32, help="Rows per encoder pass (default 32).")
    ev.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1... (default cpu).")
    ev.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                    help="Bootstrap replicates for 95%% intervals of the headline metrics (0 disables; default 1000).")
    ev.add_argument("--seed", type=int, default=42, help="Seed of torch and of the bootstrap (default 42).")
    ev.add_argument("--deterministic", action="store_true", help="Use deterministic torch kernels (recorded in the JSON).")
    ev.add_argument("--plots", metavar="DIR", help="Write reliability_diagram.png and confusion_matrix.png here.")
    ev.add_argument("--no-progress", action="store_true", help="Hide progress bars.")
    ev.set_defaults(func=_cmd_evaluate)

    cal = sub.add_parser("calibrate", help="Fit the detector's and classifier's temperatures; write calibrated copies.")
    cal.add_argument("--data", nargs="+", required=True, metavar="PATH", help="LCR .jsonl files or folders.")
    cal.add_argument("--output", required=True, metavar="DIR", help="Folder for detector/ and classifier/.")
    cal.add_argument("--detector", metavar="DIR", help="Detector checkpoint folder (default: embedded).")
    cal.add_argument(KEEP_FIRST_DUPLICATE_FLAG, **KEEP_FIRST_DUPLICATE_OPTION)
    cal.add_argument("--classifier", metavar="DIR", help="Classifier checkpoint folder (default: embedded).")
    cal.add_argument("--split", choices=("all", "validation"), default="all",
                     help="'validation': only the validation part of the training split (by id, seed).")
    cal.add_argument("--validation-fraction", type=float, default=0.2)
    cal.add_argument("--seed", type=int, default=42)
    cal.add_argument("--batch-size", type=int, default=32)
    cal.add_argument("--device", default="cpu")
    cal.add_argument("--no-progress", action="store_true")
    cal.set_defaults(func=_cmd_calibrate)

    val = sub.add_parser("validate", help="Recompute the reference outputs and validation ECE/Brier stored beside the weights; exit 1 on drift.")
    val.add_argument("--checkpoint", metavar="DIR",
                     help="Folder holding detector/ and classifier/ (or <component>/minilm/ as on the Hub; default: embedded).")
    val.add_argument("--detector", metavar="DIR", help="Detector checkpoint folder (default: embedded).")
    val.add_argument("--classifier", metavar="DIR", help="Classifier checkpoint folder (default: embedded).")
    val.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default="float32")
    val.add_argument("--atol", type=float, help="Allowed |drift| per probability (default from the dtype).")
    val.add_argument("--device", default="cpu")
    val.add_argument("--reference-only", action="store_true",
                     help="Skip recomputing ECE/Brier on the training run's validation set (minutes on CPU).")
    val.set_defaults(func=_cmd_validate)

    gen = sub.add_parser("generate", help="Answer LCR rows with the LCR system on a causal LM (one JSON line per row).")
    gen.add_argument("--base", required=True, metavar="ID_OR_DIR", help="The causal LM (Hub id or folder).")
    gen.add_argument("--detector", required=True, metavar="DIR", help="Detector trained on this base.")
    gen.add_argument("--refinement", required=True, metavar="DIR", help="Refinement trained on this base.")
    gen.add_argument("--classifier", metavar="DIR", help="Taxonomy classifier (routing); without it detected conflicts are refined.")
    gen.add_argument("--data", nargs="+", metavar="PATH", help="LCR .jsonl files or folders (default: the bundled sample).")
    gen.add_argument("--limit", type=int, help="Answer only the first N rows.")
    gen.add_argument(KEEP_FIRST_DUPLICATE_FLAG, **KEEP_FIRST_DUPLICATE_OPTION)
    gen.add_argument("--base-revision", help="Hub revision of --base.")
    gen.add_argument("--dtype", choices=("float32", "float16", "bfloat16", "auto"), help="dtype of the base.")
    gen.add_argument("--device", default="cpu", help="Device of the whole base (default cpu; ignored with --device-map).")
    gen.add_argument("--device-map", help="Accelerate placement of the base, e.g. auto.")
    gen.add_argument("--max-memory", nargs="+", metavar="DEVICE=AMOUNT", help="Per-device budget, e.g. 0=20GiB 1=20GiB.")
    gen.add_argument("--max-new-tokens", type=int, default=32)
    gen.add_argument("--batch-size", type=int, default=8)
    gen.add_argument("--seed", type=int, default=42, help="Seed of the self-consistency samples.")
    gen.set_defaults(func=_cmd_generate)

    env = sub.add_parser("env", help="Versions, devices and where the embedded checkpoints and encoder are.")
    env.add_argument("--json", action="store_true", help="Print JSON.")
    env.add_argument("--device", default="cpu", help="Device to check: cpu, cuda:0, auto... (default cpu; no GPU needed).")
    env.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default="float32", help="Dtype to check.")
    env.add_argument("--strict", action="store_true", help="Exit 1 unless every compatibility check passes.")
    env.set_defaults(func=_cmd_env)

    var = sub.add_parser("variants", help="List the released variants pinned in the registry, or describe one.")
    var.add_argument("name", nargs="?", help="A variant name or release tag to describe.")
    var.set_defaults(func=_cmd_variants)

    ver = sub.add_parser("verify", help="Re-hash a cached or local variant against the registry; exit 1 on any mismatch.")
    ver.add_argument("name", help="Variant name (e.g. detector/minilm) or release tag.")
    ver.add_argument("--folder", metavar="DIR", help="A local copy to check (default: the Hugging Face cache).")
    ver.set_defaults(func=_cmd_verify)

    pub = sub.add_parser("publish", help="Publish a checkpoint folder as a variant: one commit, a tag, a registry entry.")
    pub.add_argument("source", metavar="DIR", help="A trained checkpoint folder.")
    pub.add_argument("--variant", required=True, help="Variant name = subfolder in the repo, e.g. classifier/minilm.")
    pub.add_argument("--tag", required=True, help="New tag for the commit (existing tags are refused).")
    pub.add_argument("--repo-id", default=DEFAULT_REPO_ID, help=f"Target repo (default {DEFAULT_REPO_ID}).")
    pub.add_argument("--branch", default="main")
    pub.add_argument("--output", metavar="DIR", help="Keep the prepared folder here (e.g. for `hf upload`).")
    pub.add_argument("--message", help="Commit message.")
    pub.add_argument("--dry-run", action="store_true", help="Prepare and print the plan; upload nothing.")
    pub.set_defaults(func=_cmd_publish)

    con = sub.add_parser("convert", help="Convert a legacy torch.save state dict (tensors only) to a from_pretrained folder.")
    con.add_argument("path", metavar="FILE.pt")
    con.add_argument("--output", required=True, metavar="DIR")
    con.add_argument("--base-model", help="Base model the weights read (recorded in config.json).")
    con.add_argument("--layer-index", type=int, help="Hidden-states index of the base model they read.")
    con.set_defaults(func=_cmd_convert)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lcr-hub``; returns the exit code (2 on an LCR error)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LCRHubError as error:
        print(f"lcr-hub {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
