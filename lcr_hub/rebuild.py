"""Rebuild a release from its recorded steps and compare every file with the registry.

``lcr-hub rebuild VARIANT --output DIR`` reads the steps a release records
(``training_metadata.json``: ``steps``, see :mod:`lcr_hub.steps`), replays them in a
temporary work folder (never in ``checkpoints``), writes the last step's folder to
``DIR`` and compares every file's sha256 with the registry entry: ``ok`` or ``differs`` per
file; for weights that differ, the largest absolute difference per tensor and the validation
figures side by side; for JSON files, which fields differ; and which recorded versions differ
from the installed ones.

How steps are replayed, in a work folder laid out like the original working directory:

* Every input a step read by a relative path (data files, the calibration data, the script of
  ``python scripts/x.py``) is linked from ``inputs`` (default: the current directory, a
  clone's root) after its sha256 is checked against the record; absolute paths are read
  where they are. Files a ``generate`` step wrote are generated again instead.
* ``generate``, ``train`` and ``calibrate`` run as the recorded command, in a fresh Python
  (``lcr-hub`` is ``python -m lcr_hub``), with this lcr_hub first on ``PYTHONPATH`` and
  the recorded thread count and CPU-kernel variables (:func:`step_environment`), so that they
  record the same command and run the same kernels. ``calibrate`` reads the previous step's
  folder as the embedded checkpoint (``$LCR_HUB_CHECKPOINTS``) unless its command names a folder.
* ``release`` is :func:`lcr_hub.hub.publish.prepare_release_folder` with the recorded
  repo, subfolder, tag and command (uploading does not change the bytes).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ._hashing import sha256_file
from ._modules.atomic import staged_folder
from ._modules.provenance import NUMERICS_ENV
from .checkpoint import CheckpointMetadata, checkpoints_root, folder_files, read_metadata, write_manifest
from .constants import (
    CHECKPOINTS_ENV,
    CONFIG_NAME,
    METADATA_NAME,
    WEIGHTS_NAME,
)
from .errors import CheckpointError
from .hub.registry import BYTECODE_CACHE
from .steps import STEP_CALIBRATE, STEP_GENERATE, STEP_RELEASE, version_changes

class RebuildError(CheckpointError):
    """A release cannot be rebuilt: no recorded steps, a missing or changed input, or a step that failed.

    (A ``CheckpointError``, defined here rather than in ``lcr_hub.errors``: errors.py ships
    byte for byte inside every release as remote code, so it changes with the next release.)
    """


#: The lcr_hub that replays (its parent folder goes first on the steps' ``PYTHONPATH``).
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
#: How long one replayed step may run (the shipped detector trains in about 21 minutes on 2 cores).
STEP_TIMEOUT_S = 4 * 3600
#: The folder of the work folder where the steps run (nested as deep as the recorded ``..`` paths climb).
WORK_TREE = "tree"
#: Lines of a failed step's output shown in the error.
ERROR_TAIL_LINES = 20


@dataclass
class FileResult:
    """One file of the release: ``ok``, ``differs``, ``missing`` (not rebuilt) or ``unexpected`` (not released)."""

    name: str
    status: str
    expected: str
    actual: str
    details: list[str] = field(default_factory=list)


@dataclass
class RebuildReport:
    """What ``lcr-hub rebuild`` found.

    Attributes:
        variant: The release (``name`` at ``tag``).
        folder: The rebuilt folder.
        files: One result per file of the release or of the rebuilt folder.
        max_tensor_difference: The largest absolute difference over the weights' tensors
            (None: the weights are identical or the released weights were not at hand).
        figures: ``(figure, released, rebuilt)`` of the validation figures, when the weights differ.
        versions: ``(step number, kind, {key: (recorded, installed)})`` for each step whose
            recorded versions differ from this environment's.
        notes: Other findings (a regenerated data file that differs, ...).
    """

    variant: str
    folder: Path
    files: list[FileResult]
    max_tensor_difference: float | None = None
    figures: list[tuple[str, Any, Any]] = field(default_factory=list)
    versions: list[tuple[int, str, dict[str, tuple]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file is byte-identical to the release."""
        return all(f.status == "ok" for f in self.files)

    def lines(self) -> list[str]:
        """The report as ``lcr-hub rebuild`` prints it."""
        out = [f"{self.variant}: rebuilt in {self.folder}"]
        for f in self.files:
            out.append(f"  {f.status:<10} {f.name}" + (f"  (registry {f.expected[:12]}, rebuilt {f.actual[:12]})"
                                                     if f.status == "differs" else ""))
            out += [f"             {d}" for d in f.details]
        if self.figures:
            out.append("  validation figures (released | rebuilt):")
            out += [f"    {name:<40} {_figure(a):>12} | {_figure(b):<12}{'' if a == b else '  differs'}"
                    for name, a, b in self.figures]
        for number, kind, changes in self.versions:
            out.append(f"  step {number} ({kind}) recorded other versions than installed: "
                       + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in changes.items()))
        out += [f"  note: {n}" for n in self.notes]
        bad = sum(f.status != "ok" for f in self.files)
        out.append(f"{len(self.files) - bad} ok, {bad} differ" + ("" if bad else ": byte for byte the release"))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"variant": self.variant, "folder": str(self.folder), "ok": self.ok,
                "files": [vars(f) for f in self.files], "max_tensor_difference": self.max_tensor_difference,
                "figures": [list(f) for f in self.figures],
                "versions": [{"step": n, "kind": k, "changes": {key: list(v) for key, v in c.items()}}
                             for n, k, c in self.versions],
                "notes": self.notes}


def _figure(value: Any) -> str:
    return f"{value:.6f}" if isinstance(value, float) else str(value)


# --------------------------------------------------------------------------- steps


def recorded_steps(metadata: CheckpointMetadata | None, where: str) -> list[dict[str, Any]]:
    """The steps to replay, or a clear error for a release that does not record them.

    Raises:
        RebuildError: No metadata, or metadata without ``steps`` (released before steps were recorded).

    Example:
        >>> from lcr_hub.checkpoint import default_checkpoint
        >>> [step["kind"] for step in recorded_steps(read_metadata(default_checkpoint("detector")), "detector")]
        ['generate', 'train', 'release']
    """
    if metadata is None:
        raise RebuildError(f"{where} has no {METADATA_NAME}: there is nothing to replay (not trained by lcr_hub).")
    if not metadata.steps:
        calibrate = f"; then `{metadata.calibration['command']}`" if metadata.calibration else ""
        raise RebuildError(
            f"{where} was released before steps were recorded (its {METADATA_NAME} has no 'steps'), so it cannot "
            f"be replayed. Retrain with the card's command, with the versions of constraints/release.txt:\n  "
            f"{metadata.command}{calibrate}\nand compare the weights by hand; releases made since record their steps."
        )
    return metadata.steps


def _relative_inputs(metadata: CheckpointMetadata, steps: list[dict[str, Any]]) -> dict[str, str]:
    """Relative path -> recorded sha256 of every file the steps read and no step wrote."""
    produced = {p for s in steps if s["kind"] == STEP_GENERATE for p in s.get("outputs", ())}
    files = {f.path: f.sha256 for f in metadata.data.files}
    for f in (metadata.calibration or {}).get("data", []):
        files.setdefault(f["path"], f["sha256"])
    return {p: digest for p, digest in files.items() if p not in produced and not Path(p).is_absolute()}


def _parent_depth(paths: list[str]) -> int:
    """How many leading ``..`` the deepest of ``paths`` climbs (the work folder nests that deep)."""
    depth = 0
    for p in paths:
        parts = PurePosixPath(p).parts
        depth = max(depth, next((i for i, part in enumerate(parts) if part != ".."), len(parts)))
    return depth


def _argv(command: str, number: int) -> list[str]:
    tokens = shlex.split(command)
    if tokens and tokens[0] == "lcr-hub":
        return [sys.executable, "-m", "lcr_hub", *tokens[1:]]
    if tokens and tokens[0] == "python":
        return [sys.executable, *tokens[1:]]
    raise RebuildError(f"step {number}: cannot replay {command!r}: only `python ...` and `lcr-hub ...` commands are "
                       "recorded by lcr_hub.")


def _inside(cwd: Path, path: str, number: int, what: str) -> Path:
    """``cwd / path``, refused unless it lies in the work folder's tree (a replay never writes elsewhere)."""
    tree = next(p for p in (cwd, *cwd.parents) if p.name == WORK_TREE).resolve()
    target = (cwd / path).resolve()
    if Path(path).is_absolute() or not target.is_relative_to(tree):
        raise RebuildError(f"step {number}: its {what} {path!r} is outside the work folder; replaying it would write "
                           "there. Only steps recorded with relative output paths can be replayed.")
    return target


def step_environment(metadata: CheckpointMetadata, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a replayed step runs in: the recorded thread count and CPU-kernel choices.

    Args:
        metadata: The release's metadata (its ``hardware`` section).
        base: The environment to start from (default: this process's).

    Returns:
        ``base`` with this lcr_hub first on ``PYTHONPATH``, ``OMP_NUM_THREADS``/``MKL_NUM_THREADS``
        set to the recorded torch thread count, the recorded ``numerics_env`` variables set again
        (``ATEN_CPU_CAPABILITY``...; any of them the release did not set is removed) and
        ``$LCR_HUB_CHECKPOINTS`` removed.
    """
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")]))
    threads = str(metadata.hardware.get("torch_num_threads") or "")
    env.update({"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads} if threads else {})
    recorded = metadata.hardware.get("numerics_env") or {}
    for name in NUMERICS_ENV:
        env.pop(name, None)
    env.update({str(k): str(v) for k, v in recorded.items()})
    env.pop(CHECKPOINTS_ENV, None)
    return env


def _link_inputs(cwd: Path, inputs: Path, files: dict[str, str], scripts: list[str]) -> None:
    """Link each relative input into ``cwd`` after checking its sha256 (scripts: from ``inputs`` or this checkout)."""
    for path, digest in files.items():
        source = inputs / path
        if not source.is_file():
            raise RebuildError(f"The release read {path!r}, which is not under {inputs}. Run from the clone the release "
                               "was built in (or pass --inputs ROOT where that relative path resolves).")
        actual = sha256_file(source)
        if actual != digest:
            raise RebuildError(f"{source} has sha256 {actual}, but the release read {digest}: it is another version of "
                               "the file. Restore the recorded one (git checkout, or the data release) and rebuild.")
        _link(source, cwd / path)
    for script in scripts:
        source = next((root / script for root in (inputs, PACKAGE_ROOT) if (root / script).is_file()), None)
        if source is None:
            raise RebuildError(f"The script {script!r} of a recorded step is neither under {inputs} nor {PACKAGE_ROOT}.")
        _link(source, cwd / script)


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(source.resolve())


def _run(command: str, number: int, cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(_argv(command, number), cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=STEP_TIMEOUT_S)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-ERROR_TAIL_LINES:])
        raise RebuildError(f"step {number} failed (exit {result.returncode}): {command}\n{tail}")


def _calibrate_env(env: dict[str, str], work: Path, component: str, previous: Path, command: str) -> dict[str, str]:
    """``$LCR_HUB_CHECKPOINTS`` for a replayed calibrate: ``component`` is the previous step's folder.

    ``lcr-hub calibrate`` fits both embedded components. The other one is read as it is,
    except when its own calibration came from this same command: then it gets back the
    temperature it had before (``calibration.before``), as that command found it, so that the
    replay sees the same inputs (and refuses or accepts the fit as the original did).
    """
    root = work / "embedded"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir()
    shutil.copytree(previous, root / component)
    for other in checkpoints_root().iterdir():
        if not other.is_dir() or other.name == component or not (other / CONFIG_NAME).is_file():
            continue
        metadata = read_metadata(other)
        calibration = metadata.calibration if metadata is not None else None
        if calibration and calibration.get("command") == command:
            shutil.copytree(other, root / other.name, ignore=shutil.ignore_patterns(BYTECODE_CACHE))
            config = json.loads((other / CONFIG_NAME).read_text())
            config["calibration_temperature"] = calibration["before"]["temperature"]
            (root / other.name / CONFIG_NAME).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
            write_manifest(root / other.name)
        else:
            (root / other.name).symlink_to(other.resolve())
    return {**env, CHECKPOINTS_ENV: str(root)}


def replay_steps(metadata: CheckpointMetadata, steps: list[dict[str, Any]], work: Path,
                 inputs: str | os.PathLike = ".", notes: list[str] | None = None) -> Path:
    """Replay recorded steps in ``work``; return the folder the last step wrote.

    Args:
        metadata: The release's metadata (its data files, calibration data, thread count).
        steps: Its recorded steps (:func:`recorded_steps`).
        work: An empty work folder.
        inputs: Where the recorded relative input paths resolve.
        notes: Findings are appended here (e.g. a regenerated data file that differs).

    Returns:
        The last step's folder (inside ``work``).

    Raises:
        RebuildError: A missing or changed input, an output outside the work folder, a
            step that failed (its output's last lines), or no step that writes a checkpoint.
    """
    notes = [] if notes is None else notes
    inputs = Path(inputs).resolve()
    files = _relative_inputs(metadata, steps)
    outputs = [p for s in steps for p in (s.get("output"), s.get("input"), *s.get("outputs", ())) if isinstance(p, str)]
    cwd = work.joinpath(WORK_TREE, *[f"up{i}" for i in range(_parent_depth([*files, *outputs]))])
    cwd.mkdir(parents=True)
    scripts = [t[1] for t in (shlex.split(s["command"]) for s in steps)
               if len(t) > 1 and t[0] == "python" and t[1].endswith(".py") and not Path(t[1]).is_absolute()]
    for number, step in enumerate(steps, 1):  # refuse before running anything
        if step["kind"] not in (STEP_GENERATE, STEP_RELEASE) and not isinstance(step.get("output"), str):
            raise RebuildError(f"step {number} ({step['kind']}) records no 'output' folder, so its result cannot be "
                               "found. Restore the release's training_metadata.json.")
        for what in ("output", "input"):  # an absolute input is read where it is (the embedded default)
            path = step.get(what)
            if isinstance(path, str) and not (what == "input" and Path(path).is_absolute()):
                _inside(cwd, path, number, what)
    _link_inputs(cwd, inputs, files, scripts)
    env = step_environment(metadata)
    previous: Path | None = None
    recorded = {f.path: f.sha256 for f in metadata.data.files}
    for number, step in enumerate(steps, 1):
        kind = step["kind"]
        if kind == STEP_RELEASE:
            if previous is None:
                raise RebuildError(f"step {number} releases a folder, but no earlier step wrote one.")
            from .hub.publish import prepare_release_folder

            released = work / f"release-{number}"
            prepare_release_folder(previous, released, repo_id=step["repo_id"], subfolder=step["subfolder"],
                                   tag=step["tag"], release_command=step["command"])
            previous = released
            continue
        step_env = env
        if kind == STEP_CALIBRATE:
            if previous is None:
                raise RebuildError(f"step {number} calibrates a checkpoint, but no earlier step wrote one.")
            given = step.get("input")
            if isinstance(given, str) and not Path(given).is_absolute():
                target = _inside(cwd, given, number, "input")
                if target != previous.resolve():
                    shutil.copytree(previous, target, dirs_exist_ok=True)
            step_env = _calibrate_env(env, work, metadata.component, previous, step["command"])
        _run(step["command"], number, cwd, step_env)
        if kind == STEP_GENERATE:
            for path in step.get("outputs", ()):
                made = cwd / path
                if not made.is_file():
                    notes.append(f"step {number} ({kind}) did not write {path}")
                elif path in recorded and sha256_file(made) != recorded[path]:
                    notes.append(f"step {number} ({kind}) wrote {path} with sha256 {sha256_file(made)}, "
                                 f"the release read {recorded[path]}")
            continue
        previous = _inside(cwd, step["output"], number, "output")
    if previous is None:
        raise RebuildError("No recorded step writes a checkpoint folder (train, calibrate or release).")
    return previous


# --------------------------------------------------------------------------- comparison


def _json_fields(released: Path, rebuilt: Path) -> list[str]:
    """The top-level fields (one level deeper for ``config``/``framework``...) of two JSON files that differ."""
    try:
        a, b = json.loads(released.read_text()), json.loads(rebuilt.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return []
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return []
    out = []
    for key in [*a, *(k for k in b if k not in a)]:
        if a.get(key) == b.get(key):
            continue
        if isinstance(a.get(key), dict) and isinstance(b.get(key), dict):
            inner = [k for k in {**a[key], **b[key]} if a[key].get(k) != b[key].get(k)]
            out.append(f"{key}: {', '.join(inner[:8])}{' ...' if len(inner) > 8 else ''}")
        else:
            out.append(key)
    return [f"fields that differ: {'; '.join(out)}"] if out else []


def tensor_differences(released: str | os.PathLike, rebuilt: str | os.PathLike) -> tuple[float | None, list[str]]:
    """The largest absolute difference of each tensor of two safetensors files.

    Args:
        released: The released weights.
        rebuilt: The rebuilt weights.

    Returns:
        The largest difference over all tensors (None when a tensor is missing or changed
        shape), and one line per tensor that differs (largest first), or per layout change.

    Example:
        >>> import tempfile, torch
        >>> from safetensors.torch import save_file
        >>> folder = Path(tempfile.mkdtemp())
        >>> save_file({"w": torch.zeros(2), "b": torch.ones(1)}, folder / "a.safetensors")
        >>> save_file({"w": torch.tensor([0.0, 0.25]), "b": torch.ones(1)}, folder / "b.safetensors")
        >>> tensor_differences(folder / "a.safetensors", folder / "b.safetensors")
        (0.25, ['w: max |difference| 0.25'])
    """
    from safetensors.torch import load_file

    a, b = load_file(str(released)), load_file(str(rebuilt))
    lines, largest, comparable = [], {}, True
    for name in sorted(a.keys() | b.keys()):
        if name not in a or name not in b:
            lines.append(f"{name}: only in the {'released' if name in a else 'rebuilt'} weights")
            comparable = False
        elif a[name].shape != b[name].shape or a[name].dtype != b[name].dtype:
            lines.append(f"{name}: {a[name].dtype} {list(a[name].shape)} released, {b[name].dtype} {list(b[name].shape)} rebuilt")
            comparable = False
        else:
            diff = (a[name].double() - b[name].double()).abs().max().item() if a[name].numel() else 0.0
            if diff:
                largest[name] = diff
    lines += [f"{n}: max |difference| {d:.3g}" for n, d in sorted(largest.items(), key=lambda kv: -kv[1])]
    return (max(largest.values(), default=0.0) if comparable else None), lines


def _flat_figures(validation: dict[str, Any]) -> dict[str, Any]:
    """Headline figures of ``validation``: the numbers directly under each evaluation set."""
    return {f"{name}.{k}": v for name, figures in validation.items() if isinstance(figures, dict)
            for k, v in figures.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def compare_release(rebuilt: str | os.PathLike, expected: dict[str, str], release: str | os.PathLike | None,
                    variant: str) -> RebuildReport:
    """Compare a rebuilt folder with the sha256 the registry pins for a release.

    Args:
        rebuilt: The rebuilt folder.
        expected: File name -> pinned sha256 (the registry entry's ``files``).
        release: The released folder (for tensor differences, JSON fields and figures), or
            None when it is not at hand (then only digests are compared).
        variant: Name of the release, for the report.

    Returns:
        The report (``versions`` and ``notes`` are left for the caller).
    """
    rebuilt = Path(rebuilt)
    release = Path(release) if release is not None else None
    actual = {name: sha256_file(rebuilt / name) for name in folder_files(rebuilt)}
    report = RebuildReport(variant, rebuilt, [])
    for name in [*expected, *(n for n in actual if n not in expected)]:
        if name not in actual:
            report.files.append(FileResult(name, "missing", expected[name], ""))
            continue
        if name not in expected:
            report.files.append(FileResult(name, "unexpected", "", actual[name]))
            continue
        result = FileResult(name, "ok" if actual[name] == expected[name] else "differs", expected[name], actual[name])
        report.files.append(result)
        original = release / name if release is not None else None
        if result.status == "ok" or original is None or not original.is_file():
            continue
        if sha256_file(original) != expected[name]:
            result.details.append(f"the released copy {original} is not the registry's bytes either: not compared")
        elif name == WEIGHTS_NAME:
            report.max_tensor_difference, lines = tensor_differences(original, rebuilt / name)
            result.details += [f"largest absolute tensor difference: {report.max_tensor_difference}", *lines[:10]]
        elif name.endswith(".json"):
            result.details += _json_fields(original, rebuilt / name)
    weights = next((f for f in report.files if f.name == WEIGHTS_NAME), None)
    if weights is not None and weights.status != "ok" and release is not None:
        before, after = read_metadata(release), read_metadata(rebuilt)
        if before is not None and after is not None:
            a, b = _flat_figures(before.validation), _flat_figures(after.validation)
            report.figures = [(k, a.get(k), b.get(k)) for k in [*a, *(k for k in b if k not in a)]]
    return report


# --------------------------------------------------------------------------- the command


def _refuse_embedded(output: Path) -> None:
    from .checkpoint import EMBEDDED_CHECKPOINTS

    for root in {EMBEDDED_CHECKPOINTS.resolve(), checkpoints_root().resolve()}:
        target = output.resolve()
        if target == root or target.is_relative_to(root) or root.is_relative_to(target):
            raise RebuildError(f"--output {output} is (or holds) the embedded checkpoints {root}; a rebuild never "
                               "writes there. Pass a fresh folder, e.g. out/rebuilt.")


def rebuild_variant(name_or_tag: str, output: str | os.PathLike, *, inputs: str | os.PathLike = ".",
                    release_folder: str | os.PathLike | None = None, keep_work: bool = False) -> RebuildReport:
    """Replay a release's recorded steps into ``output`` and compare every file with the registry.

    Args:
        name_or_tag: A variant name (its newest release) or a release tag.
        output: The folder to write the rebuilt files to (replaced whole; never the embedded checkpoints).
        inputs: Where the recorded relative input paths resolve (a clone's root).
        release_folder: The released files (their steps are read from its metadata);
            default: the embedded folder when it is that release, else the Hugging Face cache.
        keep_work: Keep the temporary work folder (its path is in the report's notes).

    Returns:
        The report.

    Raises:
        RebuildError: The release records no steps, an input is missing or changed, or a step failed.
        CheckpointError: Unknown variant, or the released files are not at hand.

    Example:
        >>> from lcr_hub.checkpoint import default_checkpoint
        >>> rebuild_variant("detector/minilm", default_checkpoint("detector"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        lcr_hub.rebuild.RebuildError: ...never writes there...
    """
    from .hub.loading import verify_variant
    from .hub.registry import get_variant

    output = Path(output)
    _refuse_embedded(output)
    variant = get_variant(name_or_tag)
    label = f"{variant.name} ({variant.tag})"
    release, checks = verify_variant(variant.tag, folder=release_folder)
    metadata = read_metadata(release)
    steps = recorded_steps(metadata, label)
    notes = [f"the released copy {release} differs from the registry: {c.line()}" for c in checks if not c.ok]
    work = Path(tempfile.mkdtemp(prefix="lcr-rebuild-"))
    try:
        final = replay_steps(metadata, steps, work, inputs, notes)
        with staged_folder(output) as staging:
            for name in folder_files(final):
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(final / name, staging / name)
    finally:
        if keep_work:
            notes.append(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report = compare_release(output, {n: d.sha256 for n, d in variant.files.items()}, release, label)
    installed = None
    for number, step in enumerate(steps, 1):
        changes = version_changes(step["versions"], installed)
        if changes:
            report.versions.append((number, step["kind"], changes))
    report.notes += notes
    return report
