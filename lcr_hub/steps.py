"""The recorded steps of a checkpoint: every command that produced its bytes, with versions.

A checkpoint's ``training_metadata.json`` lists under ``steps``, in order, each step that
produced its bytes: the data generation (``generate``, one per generator command whose files
the run read), the training (``train``), ``lcr-hub calibrate`` (``calibrate``) and the
release (``release``). Each step is a JSON object::

    {"kind": "train", "command": "python scripts/train_classifier.py ...", "versions": {...}, ...}

with ``versions`` as :func:`lcr_hub._modules.provenance.framework` reports them when the step
ran, and what :mod:`lcr_hub.rebuild` needs to replay it (``output``; ``input`` for
``calibrate``; ``repo_id``, ``subfolder``, ``tag`` for ``release``; ``outputs`` for
``generate``). Steps carry no time or host name, so replaying a step records the same step.

A data generator records itself with :func:`write_generated_by` (``generated_by.json``
beside its files); training finds it with :func:`generate_steps`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ._hashing import sha256_file
from ._modules.atomic import atomic_write
from ._modules.provenance import command_line, framework
from .errors import CheckpointError

# The step kinds, in the order they usually run. (Here, not in constants.py: constants.py and
# errors.py ship inside every release as remote code, byte for byte.)
STEP_GENERATE = "generate"
STEP_TRAIN = "train"
STEP_CALIBRATE = "calibrate"
STEP_RELEASE = "release"
STEP_KINDS: tuple[str, ...] = (STEP_GENERATE, STEP_TRAIN, STEP_CALIBRATE, STEP_RELEASE)
#: Written by a data generator beside its output files: its command, versions and the files' sha256.
GENERATED_BY_NAME = "generated_by.json"
#: The exact versions the embedded checkpoints were built with (pip constraints format), in a clone.
RELEASE_CONSTRAINTS = "constraints/release.txt"


def step_record(kind: str, command: str | None = None, **where: Any) -> dict[str, Any]:
    """One step as the metadata records it.

    Args:
        kind: One of :data:`~lcr_hub.constants.STEP_KINDS`.
        command: The command line (default: the one running, :func:`command_line`).
        **where: What replaying it needs (``output``, ``input``, ``repo_id``...), kept in order.

    Returns:
        ``{"kind", "command", "versions", **where}``.

    Raises:
        CheckpointError: ``kind`` is not a step kind.

    Example:
        >>> step = step_record("train", "python scripts/train_classifier.py --data d", output="out/c")
        >>> list(step), step["versions"]["transformers_version"] is not None
        (['kind', 'command', 'versions', 'output'], True)
    """
    if kind not in STEP_KINDS:
        raise CheckpointError(f"Unknown step kind {kind!r}; a step is one of {list(STEP_KINDS)}.")
    return {"kind": kind, "command": command if command is not None else command_line(), "versions": framework(),
            **where}


def check_steps(steps: Any, where: str) -> list[dict[str, Any]]:
    """Check the ``steps`` of a metadata file: a list of objects with a known ``kind`` and a ``command``.

    Args:
        steps: The parsed value.
        where: The file, for messages.

    Returns:
        ``steps``.

    Raises:
        CheckpointError: Not a list, or a step lacks ``kind``/``command``/``versions``
            (the message names the step).

    Example:
        >>> check_steps([{"kind": "train", "command": "x", "versions": {}}], "m.json")[0]["kind"]
        'train'
    """
    if not isinstance(steps, list):
        raise CheckpointError(f"{where}: field 'steps' must be a list of steps or absent, got {steps!r}.")
    for i, step in enumerate(steps):
        ok = (isinstance(step, dict) and step.get("kind") in STEP_KINDS and isinstance(step.get("command"), str)
              and isinstance(step.get("versions"), dict))
        if not ok:
            raise CheckpointError(
                f"{where}: steps[{i}] must be an object with 'kind' (one of {list(STEP_KINDS)}), 'command' (a string) "
                f"and 'versions' (an object), got {step!r}. Restore the file from the release."
            )
    return steps


def write_generated_by(folder: str | os.PathLike, files: Iterable[str | os.PathLike],
                       command: str | None = None) -> Path:
    """Record, beside generated data files, the command that generated them (``generated_by.json``).

    Training that reads one of these files (same name, same sha256) records this command as a
    ``generate`` step (:func:`generate_steps`).

    Args:
        folder: The folder holding the files (the generator's output folder).
        files: The generated files (inside ``folder``).
        command: The generator's command line (default: the one running).

    Returns:
        The written file.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "rows.jsonl").write_text("{}\\n")
        >>> record = json.loads(write_generated_by(folder, [folder / "rows.jsonl"], "python gen.py").read_text())
        >>> record["command"], list(record["files"])
        ('python gen.py', ['rows.jsonl'])
    """
    folder = Path(folder)
    record = {"command": command if command is not None else command_line(), "versions": framework(),
              "files": {Path(f).name: sha256_file(f) for f in files}}
    path = folder / GENERATED_BY_NAME
    atomic_write(path, json.dumps(record, indent=2) + "\n")
    return path


def _generated_by(path: Path) -> dict[str, Any] | None:
    record_path = path.parent / GENERATED_BY_NAME
    if not record_path.is_file():
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{record_path}: not valid JSON ({error}). Re-run the generator that wrote it.") from None
    ok = isinstance(record, dict) and isinstance(record.get("command"), str) and isinstance(record.get("files"), dict)
    return record if ok else None


def generate_steps(files: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``generate`` steps behind data files: one per generator command, in the order first read.

    A file counts as generated when a ``generated_by.json`` beside it lists its name with
    the same sha256 (a file edited after generation does not).

    Args:
        files: The data files a run read (``{"path", "sha256", ...}``, paths as given).

    Returns:
        ``[{"kind": "generate", "command", "versions", "outputs": [paths as given]}]``.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "rows.jsonl").write_text("{}\\n")
        >>> _ = write_generated_by(folder, [folder / "rows.jsonl"], "python gen.py")
        >>> row = {"path": str(folder / "rows.jsonl"), "sha256": sha256_file(folder / "rows.jsonl")}
        >>> [(s["kind"], s["command"]) for s in generate_steps([row, {"path": "/nowhere/x.jsonl", "sha256": ""}])]
        [('generate', 'python gen.py')]
    """
    steps: dict[str, dict[str, Any]] = {}
    for file in files:
        path = Path(file["path"])
        record = _generated_by(path)
        if record is None or record["files"].get(path.name) != file["sha256"]:
            continue
        step = steps.setdefault(record["command"], {"kind": STEP_GENERATE, "command": record["command"],
                                                    "versions": record.get("versions", {}), "outputs": []})
        if file["path"] not in step["outputs"]:
            step["outputs"].append(file["path"])
    return list(steps.values())


def version_changes(recorded: Mapping[str, Any], installed: Mapping[str, Any] | None = None) -> dict[str, tuple]:
    """The versions that differ between a step's record and this environment.

    Args:
        recorded: A step's ``versions``.
        installed: This environment's (default :func:`framework`).

    Returns:
        ``{key: (recorded, installed)}`` for each key whose values differ.

    Example:
        >>> version_changes({"transformers_version": "5.24.0"}, {"transformers_version": "5.25.0"})
        {'transformers_version': ('5.24.0', '5.25.0')}
    """
    installed = framework() if installed is None else installed
    return {k: (v, installed.get(k)) for k, v in recorded.items() if installed.get(k) != v}
