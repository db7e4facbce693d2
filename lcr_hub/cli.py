"""The `lcr-hub` command line: thin wrappers over the library."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from .errors import LCRHubError


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation.evaluate import evaluate, format_report

    report = evaluate(
        args.data,
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
        device=args.device, progress=not args.no_progress,
    )
    for name, r in records.items():
        b, a = r["before"], r["after"]
        print(f"{name:<11} T {b['temperature']:.4f} -> {a['temperature']:.4f}   NLL {b['nll']:.4f} -> {a['nll']:.4f}   "
              f"ECE {b['ece']:.4f} -> {a['ece']:.4f}   (n={r['n']})")
    print(f"wrote {Path(args.output) / 'detector'} and {Path(args.output) / 'classifier'}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from ._modules.paths import default_checkpoint
    from .evaluation.reference import validate_checkpoint

    folders = [args.detector or default_checkpoint("detector"), args.classifier or default_checkpoint("classifier")]
    reports = [validate_checkpoint(f, dtype=args.dtype, atol=args.atol, device=args.device) for f in folders]
    for r in reports:
        status = "ok" if r["ok"] else "DRIFT"
        print(f"{status:<6} {r['model_type']:<15} max |drift| {r['max_abs_drift']:.3g} (tolerance {r['tolerance']:.3g}, "
              f"{r['dtype']})  {r['folder']}")
    if all(r["ok"] for r in reports):
        return 0
    print(
        "Calibration drift detected: this machine's outputs differ from the reference outputs stored beside "
        "the weights by more than the tolerance. Check that the weights are the released ones "
        "(`sha256sum model.safetensors` against training_metadata.json) and the package versions in "
        "`lcr-hub env` against the metadata's `framework`; a different dtype needs --dtype.",
        file=sys.stderr,
    )
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
        seed=args.seed,
    )
    for row in report["rows"]:
        print(json.dumps(row))
    print(json.dumps({"routes": report["routes"]}))
    return 0


def _cmd_env(args: argparse.Namespace) -> int:
    from .env import environment_report, format_environment

    report = environment_report()
    print(json.dumps(report, indent=2) if args.json else format_environment(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lcr-hub`` (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(prog="lcr-hub", description="LCR conflict detection models on the Hugging Face stack.")
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("evaluate", help="Evaluate the detector and classifier on LCR-format data.")
    ev.add_argument("--data", nargs="+", metavar="PATH", help="LCR .jsonl files or folders (default: the bundled sample).")
    ev.add_argument("--detector", metavar="DIR", help="Detector checkpoint folder (default: embedded).")
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
    cal.add_argument("--classifier", metavar="DIR", help="Classifier checkpoint folder (default: embedded).")
    cal.add_argument("--split", choices=("all", "validation"), default="all",
                     help="'validation': only the validation part of the training split (by id, seed).")
    cal.add_argument("--validation-fraction", type=float, default=0.2)
    cal.add_argument("--seed", type=int, default=42)
    cal.add_argument("--batch-size", type=int, default=32)
    cal.add_argument("--device", default="cpu")
    cal.add_argument("--no-progress", action="store_true")
    cal.set_defaults(func=_cmd_calibrate)

    val = sub.add_parser("validate", help="Recompute the reference outputs stored beside the weights; exit 1 on drift.")
    val.add_argument("--detector", metavar="DIR", help="Detector checkpoint folder (default: embedded).")
    val.add_argument("--classifier", metavar="DIR", help="Classifier checkpoint folder (default: embedded).")
    val.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default="float32")
    val.add_argument("--atol", type=float, help="Allowed |drift| per probability (default from the dtype).")
    val.add_argument("--device", default="cpu")
    val.set_defaults(func=_cmd_validate)

    gen = sub.add_parser("generate", help="Answer LCR rows with the LCR system on a causal LM (one JSON line per row).")
    gen.add_argument("--base", required=True, metavar="ID_OR_DIR", help="The causal LM (Hub id or folder).")
    gen.add_argument("--detector", required=True, metavar="DIR", help="Detector trained on this base.")
    gen.add_argument("--refinement", required=True, metavar="DIR", help="Refinement trained on this base.")
    gen.add_argument("--classifier", metavar="DIR", help="Taxonomy classifier (routing); without it detected conflicts are refined.")
    gen.add_argument("--data", nargs="+", metavar="PATH", help="LCR .jsonl files or folders (default: the bundled sample).")
    gen.add_argument("--limit", type=int, help="Answer only the first N rows.")
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
    env.set_defaults(func=_cmd_env)
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
