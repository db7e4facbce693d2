"""The checkpoint folder: the one module that writes and reads it.

A checkpoint folder holds ``config.json``, ``model.safetensors`` and, when lcr_hub wrote it
from a training run, ``training_metadata.json`` (:class:`CheckpointMetadata`),
``reference_outputs.json`` (the probabilities ``lcr-hub validate`` recomputes), a model card
``README.md`` rendered from the metadata, and always ``checksums.sha256``: the sha256 of
every other file (``sha256sum`` format), which loading checks. Training, refinement
training, ``convert`` (:func:`write_checkpoint`), ``calibrate`` (:func:`retemper`) and
``publish`` (:func:`prepare_release`) all write through here, each folder whole or not at
all (:func:`lcr_hub._modules.atomic.staged_folder`).

The embedded default checkpoints ship inside the package (``lcr_hub.checkpoints``,
package data; ``checkpoints/`` in a checkout), byte for byte the released variants ``detector/minilm`` and
``classifier/minilm``; ``$LCR_HUB_CHECKPOINTS`` points lcr_hub at another folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ._hashing import FileDigest, sha256_file
from ._modules.atomic import staged_folder
from .cards import render_model_card
from .constants import (
    CHECKPOINTS_ENV,
    CHECKSUMS_NAME,
    CONFIG_NAME,
    METADATA_NAME,
    MODEL_CARD_NAME,
    REFERENCE_NAME,
    SHA256_HEX,
    WEIGHTS_NAME,
)
from .errors import CheckpointError, IntegrityError
from .steps import STEP_CALIBRATE, check_steps, step_record

def _embedded_checkpoints() -> Path:
    # Installed (wheel or editable): the package data lcr_hub.checkpoints, wherever setuptools
    # put it; a checkout on PYTHONPATH without an install: its top-level checkpoints/ folder.
    spec = importlib.util.find_spec(f"{__package__}.checkpoints")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).resolve()
    return Path(__file__).resolve().parents[1] / "checkpoints"


#: The embedded checkpoints (package data ``lcr_hub.checkpoints``; ``checkpoints/`` in a checkout).
EMBEDDED_CHECKPOINTS = _embedded_checkpoints()


def checkpoints_root() -> Path:
    """The folder holding the embedded checkpoints: ``$LCR_HUB_CHECKPOINTS`` or the package's."""
    return Path(os.environ.get(CHECKPOINTS_ENV) or EMBEDDED_CHECKPOINTS)


def default_checkpoint(component: str) -> Path:
    """The embedded checkpoint folder of a component (``detector`` or ``classifier``).

    Args:
        component: ``detector`` or ``classifier``.

    Returns:
        The folder holding the component's ``config.json``.

    Raises:
        CheckpointError: The folder is missing (``$LCR_HUB_CHECKPOINTS`` points elsewhere).

    Example:
        >>> default_checkpoint("detector").name
        'detector'
    """
    path = checkpoints_root() / component
    if not (path / CONFIG_NAME).is_file():
        raise CheckpointError(
            f"The embedded {component} checkpoint is not at {path}. Unset {CHECKPOINTS_ENV} or point it "
            f"at a folder holding `{component}/`, or pass a checkpoint folder explicitly."
        )
    return path


# --------------------------------------------------------------------------- JSON files


def _json_text(value: Any, indent: int) -> str:
    """The one JSON layout of a checkpoint's own files: ``indent`` spaces, ASCII, a final newline."""
    return json.dumps(value, indent=indent) + "\n"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: not valid JSON ({error}). Restore the file from the release or retrain.") from None


def _field(source: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in source:
        raise CheckpointError(f"{where}: field {key!r} is missing. Rewrite the file with lcr_hub's training or calibrate.")
    value = source[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind in (int, float, (int, float)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise CheckpointError(f"{where}: field {key!r} must be {names}, got {value!r}.")
    return value


#: JSON types of the annotations of flat records (``from __future__ import annotations``: strings).
_JSON_TYPES: dict[str, type | tuple[type, ...]] = {"str": str, "int": int, "float": (int, float)}


def _flat_from_dict(cls: type, source: Any, where: str) -> Any:
    """A dataclass of str/int/float fields from a JSON object, each field checked."""
    if not isinstance(source, Mapping):
        raise CheckpointError(f"{where}: expected a JSON object, got {source!r}.")
    return cls(**{f.name: _field(source, f.name, _JSON_TYPES[f.type], where) for f in fields(cls)})


# --------------------------------------------------------------------------- metadata


@dataclass
class DataFile:
    """One data file a training run read: its path as given, sha256, size and role
    (``train+validation``, ``train``, ``train-negatives`` or ``report:<name>``)."""

    path: str
    sha256: str
    size: int
    role: str


@dataclass
class DataSplit:
    """How the ``train+validation`` files were split: by id, stratified per level."""

    by: str
    stratified_by: str
    validation_fraction: float
    seed: int


@dataclass
class TrainingData:
    """The data of a training run: the files, the split, and the number of training examples."""

    files: list[DataFile]
    split: DataSplit
    n_train_examples: int

    @classmethod
    def from_dict(cls, source: Mapping[str, Any], where: str) -> TrainingData:
        files = _field(source, "files", list, where)
        return cls([_flat_from_dict(DataFile, f, f"{where}.files[{i}]") for i, f in enumerate(files)],
                   _flat_from_dict(DataSplit, _field(source, "split", dict, where), f"{where}.split"),
                   _field(source, "n_train_examples", int, where))

    def files_with_role(self, role: str) -> list[DataFile]:
        """The files read in ``role`` (e.g. ``train+validation``), in recorded order."""
        return [f for f in self.files if f.role == role]


@dataclass
class CheckpointMetadata:
    """``training_metadata.json``: what produced a checkpoint.

    The JSON keys are the field names in this order (``calibration`` only once
    ``calibrate`` wrote one, ``steps`` only when the run recorded them; keys this class does not
    know are kept in ``extra``, after the others), written with two-space indent and a final newline, so reading and re-writing a
    file gives the same bytes.

    Attributes:
        component: ``detector``, ``classifier`` or ``refinement``.
        command: The command line that trained it.
        seed: The run's seed.
        config: The model config (``config.to_dict()``) at training time.
        training: Hyper-parameters and ``loss_history``.
        data: The files read, the split, the number of training examples.
        framework: Package versions (``pytorch_version``, ...).
        hardware: The machine it was trained on.
        validation: Figures per evaluation set (``benchmark_dev``, ``natural``, ...).
        weights_sha256: sha256 of ``model.safetensors`` (filled in by :func:`write_checkpoint`).
        calibration: The record of the last ``lcr-hub calibrate``, or None.
        steps: Every step that produced the bytes (``lcr_hub.steps``), or None for a
            checkpoint released before steps were recorded.
        extra: Other keys found in the file, kept as they were.

    Example:
        >>> metadata = read_metadata(default_checkpoint("detector"))
        >>> metadata.component, metadata.temperature, metadata.data.split.seed
        ('detector', 1.0, 42)
    """

    component: str
    command: str
    seed: int
    config: dict[str, Any]
    training: dict[str, Any]
    data: TrainingData
    framework: dict[str, Any]
    hardware: dict[str, Any]
    validation: dict[str, Any]
    weights_sha256: str = ""
    calibration: dict[str, Any] | None = None
    steps: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, source: Mapping[str, Any], where: str = METADATA_NAME) -> CheckpointMetadata:
        """Build from the parsed JSON.

        Raises:
            CheckpointError: A field is missing or has the wrong type (the message names it).
        """
        if not isinstance(source, Mapping):
            raise CheckpointError(f"{where}: expected a JSON object, got {type(source).__name__}.")
        known = {f.name for f in fields(cls)} - {"extra"}
        calibration = source.get("calibration")
        if calibration is not None and not isinstance(calibration, dict):
            raise CheckpointError(f"{where}: field 'calibration' must be an object or absent, got {calibration!r}.")
        return cls(
            component=_field(source, "component", str, where),
            command=_field(source, "command", str, where),
            seed=_field(source, "seed", int, where),
            config=_field(source, "config", dict, where),
            training=_field(source, "training", dict, where),
            data=TrainingData.from_dict(_field(source, "data", dict, where), f"{where}: data"),
            framework=_field(source, "framework", dict, where),
            hardware=_field(source, "hardware", dict, where),
            validation=_field(source, "validation", dict, where),
            weights_sha256=_field(source, "weights_sha256", str, where) if "weights_sha256" in source else "",
            calibration=calibration,
            steps=check_steps(source["steps"], where) if "steps" in source else None,
            extra={k: v for k, v in source.items() if k not in known},
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, keys in field order (``calibration`` and ``steps`` omitted when None)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "extra" or (f.name in ("calibration", "steps") and value is None):
                continue
            if f.name == "data":
                value = {"files": [vars(d).copy() for d in value.files], "split": vars(value.split).copy(),
                         "n_train_examples": value.n_train_examples}
            out[f.name] = value
        return {**out, **self.extra}

    def to_json(self) -> str:
        """The file's text."""
        return _json_text(self.to_dict(), indent=2)

    @property
    def temperature(self) -> float:
        """The calibration temperature in the recorded config."""
        return float(self.config["calibration_temperature"])

    @property
    def figures_temperature(self) -> float:
        """The temperature the stored ``validation`` figures were measured at.

        Training measures them at its config's temperature; ``calibrate`` changes the
        temperature but not those figures, and records the one they belong to.
        """
        if self.calibration:
            return float(self.calibration.get("validation_temperature", self.calibration["before"]["temperature"]))
        return self.temperature


def read_metadata(folder: str | os.PathLike) -> CheckpointMetadata | None:
    """The typed ``training_metadata.json`` of a folder, or None when it has none.

    Raises:
        CheckpointError: The file is not valid JSON or lacks a field (the message names it).
    """
    path = Path(folder) / METADATA_NAME
    return CheckpointMetadata.from_dict(_read_json(path), str(path)) if path.is_file() else None


# --------------------------------------------------------------------------- manifest


def folder_files(folder: str | os.PathLike) -> list[str]:
    """Every file under ``folder`` as a sorted list of '/'-separated relative paths."""
    folder = Path(folder)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())  # follows links


def write_manifest(folder: str | os.PathLike) -> dict[str, FileDigest]:
    """Write ``checksums.sha256`` (``sha256sum`` format) for every other file of ``folder``.

    Returns:
        The digest and size of every file of the folder, the manifest included (it does
        not list itself).
    """
    folder = Path(folder)
    digests = {
        name: FileDigest(sha256_file(folder / name), (folder / name).stat().st_size)
        for name in folder_files(folder)
        if name != CHECKSUMS_NAME
    }
    manifest = folder / CHECKSUMS_NAME
    manifest.write_text("".join(f"{d.sha256}  {name}\n" for name, d in digests.items()))
    return {**digests, CHECKSUMS_NAME: FileDigest(sha256_file(manifest), manifest.stat().st_size)}


def read_manifest(folder: str | os.PathLike) -> dict[str, FileDigest] | None:
    """The digests listed in ``folder/checksums.sha256``.

    Returns:
        Relative path -> digest (size -1: unknown), or None when the folder has no manifest.

    Raises:
        CheckpointError: A line is not ``<64 hex>  <path>``.
    """
    path = Path(folder) / CHECKSUMS_NAME
    if not path.is_file():
        return None
    digests: dict[str, FileDigest] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or not SHA256_HEX.fullmatch(digest) or not name:
            raise CheckpointError(
                f"{path}:{number}: expected '<64 lowercase hex digits>  <file name>' (sha256sum format), got {line!r}."
            )
        digests[name.lstrip("*")] = FileDigest(digest, -1)
    return digests


def _recorded(folder: Path, metadata: CheckpointMetadata | None) -> dict[str, str]:
    """The sha256 a folder records for its own files: its manifest, and ``weights_sha256``."""
    recorded = {name: d.sha256 for name, d in (read_manifest(folder) or {}).items()}
    if metadata is not None and metadata.weights_sha256:
        recorded.setdefault(WEIGHTS_NAME, metadata.weights_sha256)
    return recorded


def _copy_checked(source: Path, target: Path, recorded: Mapping[str, str], name: str) -> None:
    """Copy ``source/name`` to ``target``, then check the copy against the digest ``source`` records.

    A copy gets a fresh manifest, so bytes that do not match the source's own record must
    not be copied: the new manifest would vouch for corrupted bytes.
    """
    shutil.copyfile(source / name, target)
    expected = recorded.get(name)
    actual = sha256_file(target) if expected is not None else None
    if actual != expected:
        raise IntegrityError(
            source / name, expected, actual, "That is the digest its own folder records: the file is damaged or was "
            "edited. Restore it from the release (or retrain) before copying the folder.",
        )


# --------------------------------------------------------------------------- read


@dataclass
class CheckpointFolder:
    """What :func:`read_checkpoint` finds in a checkpoint folder.

    Attributes:
        path: The folder.
        config: ``config.json`` as a dict.
        metadata: ``training_metadata.json``, or None (e.g. a converted legacy checkpoint).
        reference: ``reference_outputs.json`` as a dict, or None.
        manifest: ``checksums.sha256`` (path -> digest), or None.
    """

    path: Path
    config: dict[str, Any]
    metadata: CheckpointMetadata | None
    reference: dict[str, Any] | None
    manifest: dict[str, FileDigest] | None

    @property
    def model_type(self) -> str | None:
        """``config.json``'s ``model_type``."""
        return self.config.get("model_type")


def read_checkpoint(folder: str | os.PathLike) -> CheckpointFolder:
    """Read a checkpoint folder's JSON files (the weights are left to ``from_pretrained``).

    Args:
        folder: A checkpoint folder.

    Returns:
        Its config, typed metadata, reference outputs and manifest.

    Raises:
        CheckpointError: No ``config.json``, or a file is not valid JSON or lacks a field.

    Example:
        >>> checkpoint = read_checkpoint(default_checkpoint("classifier"))
        >>> checkpoint.model_type, checkpoint.metadata.component, len(checkpoint.reference["outputs"])
        ('lcr_classifier', 'classifier', 8)
    """
    folder = Path(folder)
    if not (folder / CONFIG_NAME).is_file():
        raise CheckpointError(
            f"{folder} has no {CONFIG_NAME}: not a checkpoint folder. Pass a folder written by lcr_hub's "
            "training, calibrate or convert, or a downloaded release."
        )
    config = _read_json(folder / CONFIG_NAME)
    if not isinstance(config, dict):
        raise CheckpointError(f"{folder / CONFIG_NAME}: expected a JSON object.")
    reference_path = folder / REFERENCE_NAME
    return CheckpointFolder(
        path=folder,
        config=config,
        metadata=read_metadata(folder),
        reference=_read_json(reference_path) if reference_path.is_file() else None,
        manifest=read_manifest(folder),
    )


# --------------------------------------------------------------------------- write


def write_checkpoint(
    output: str | os.PathLike,
    model: Any,
    metadata: CheckpointMetadata | None,
    *,
    card: str | None = None,
    reference: Mapping[str, Any] | None = None,
) -> CheckpointMetadata | None:
    """Write a checkpoint folder: config, weights, metadata, reference outputs, card, manifest.

    ``output`` is replaced whole and atomically (nothing half-written is ever visible under
    its name). ``metadata.weights_sha256`` is set to the digest of the written weights.

    Args:
        output: The folder to write.
        model: A ``PreTrainedModel`` (its ``save_pretrained`` writes config and safetensors).
        metadata: The training metadata, or None (then no metadata and no card are written).
        card: The model card; default: rendered from ``metadata``.
        reference: The reference outputs (``lcr_hub.evaluation.reference.reference_record``),
            or None for none.

    Returns:
        ``metadata`` (with ``weights_sha256`` set).

    Raises:
        OSError: ``output`` cannot be written.

    Example:
        >>> import tempfile
        >>> from lcr_hub.models.configuration_lcr import LCRRefinementConfig
        >>> from lcr_hub.models.modeling_lcr import LCRRefinement
        >>> output = Path(tempfile.mkdtemp()) / "refinement"
        >>> _ = write_checkpoint(output, LCRRefinement(LCRRefinementConfig(hidden_size=8, bottleneck_size=2)), None)
        >>> sorted(read_manifest(output))
        ['config.json', 'model.safetensors']
    """
    with staged_folder(output) as staging:
        model.save_pretrained(staging)
        if metadata is not None:
            metadata.weights_sha256 = sha256_file(staging / WEIGHTS_NAME)
            (staging / METADATA_NAME).write_text(metadata.to_json())
            (staging / MODEL_CARD_NAME).write_text(render_model_card(metadata.to_dict()) if card is None else card)
        if reference is not None:
            write_reference_file(staging, reference)
        write_manifest(staging)
    return metadata


def write_reference_file(folder: str | os.PathLike, record: Mapping[str, Any]) -> Path:
    """Write ``reference_outputs.json`` (one-space indent) into a folder being written."""
    path = Path(folder) / REFERENCE_NAME
    path.write_text(_json_text(dict(record), indent=1))
    return path


def retemper(
    source: str | os.PathLike,
    output: str | os.PathLike,
    temperature: float,
    record: dict[str, Any],
    *,
    reference: Mapping[str, Any] | None = None,
) -> CheckpointMetadata | None:
    """Write a copy of ``source`` with another calibration temperature.

    The weights and every other file are copied (each checked against the digests the
    source records); ``calibration_temperature`` changes in ``config.json`` and in the
    metadata's config; the metadata gains ``record`` as its ``calibration`` (with
    ``validation_temperature``: the temperature its stored figures were measured at); the
    card is re-rendered; the reference outputs are replaced by ``reference`` (they depend
    on the temperature); a fresh manifest is written.

    Args:
        source: The checkpoint folder to copy.
        output: The folder to write (replaced whole, atomically); not ``source``.
        temperature: The new temperature.
        record: The calibration record (``lcr_hub.evaluation.calibration.calibrate``).
        reference: Reference outputs recomputed at ``temperature``; required when the
            source has reference outputs.

    Returns:
        The new metadata (None when the source has none).

    Raises:
        CheckpointError: ``output`` is ``source``, or ``reference`` is missing.
        IntegrityError: A source file does not match the digest its folder records.
    """
    source, output = Path(source), Path(output)
    if output.resolve() == source.resolve():
        raise CheckpointError(f"{output} is the source checkpoint; write the re-tempered copy elsewhere.")
    checkpoint = read_checkpoint(source)
    if checkpoint.reference is not None and reference is None:
        raise CheckpointError(f"{source / REFERENCE_NAME} depends on the temperature: pass the recomputed reference outputs.")
    config = {**checkpoint.config, "calibration_temperature": temperature}
    metadata = checkpoint.metadata
    recorded = _recorded(source, metadata)
    regenerated = {CONFIG_NAME, CHECKSUMS_NAME, *((METADATA_NAME, MODEL_CARD_NAME) if metadata else ()),
                   *((REFERENCE_NAME,) if reference is not None else ())}
    with staged_folder(output) as staging:
        for name in folder_files(source):
            if name not in regenerated and "/" not in name and not name.startswith("."):
                _copy_checked(source, staging / name, recorded, name)
        # transformers' own config layout (PretrainedConfig.to_json_string): sorted keys.
        (staging / CONFIG_NAME).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        if metadata is not None:
            record["validation_temperature"] = metadata.figures_temperature
            metadata.config["calibration_temperature"] = temperature
            metadata.calibration = record
            if metadata.steps is not None:  # a calibrated copy of a checkpoint that records its steps
                metadata.steps = [*metadata.steps, step_record(STEP_CALIBRATE, record.get("command"),
                                                               input=str(source), output=str(output))]
            (staging / METADATA_NAME).write_text(metadata.to_json())
            (staging / MODEL_CARD_NAME).write_text(render_model_card(metadata.to_dict()))
        if reference is not None:
            write_reference_file(staging, reference)
        write_manifest(staging)
    return metadata


def prepare_release(
    source: str | os.PathLike,
    output: str | os.PathLike,
    *,
    config: Mapping[str, Any],
    card: str,
    extra_files: Mapping[str, str | os.PathLike] | None = None,
    metadata: CheckpointMetadata | None = None,
) -> dict[str, FileDigest]:
    """Write a release folder from a checkpoint: its files, a new config and card, extra files, a manifest.

    The hub-specific parts (the ``auto_map``, the card's loading section, the remote code
    files, the registry) are ``lcr_hub.hub.publish``'s; this writes the folder. Top-level
    files of ``source`` are copied (each checked against the digests the source records;
    hidden files, sub-folders, and the files given here are not copied).

    Args:
        source: A checkpoint folder.
        output: The folder to write (replaced whole, atomically).
        config: The release's ``config.json`` content (written with sorted keys).
        card: The release's ``README.md``.
        extra_files: Name in the release -> file to copy there (e.g. remote code).
        metadata: The release's ``training_metadata.json`` (e.g. with its release step);
            default: the source's, copied.

    Returns:
        The digest and size of every written file (the manifest included).

    Raises:
        IntegrityError: A source file does not match the digest its folder records.
    """
    source = Path(source)
    extra_files = dict(extra_files or {})
    recorded = _recorded(source, read_metadata(source))
    regenerated = {CONFIG_NAME, MODEL_CARD_NAME, CHECKSUMS_NAME, *extra_files, *((METADATA_NAME,) if metadata else ())}
    with staged_folder(output) as staging:
        for name in folder_files(source):
            if name not in regenerated and "/" not in name and not name.startswith("."):
                _copy_checked(source, staging / name, recorded, name)
        for name, path in extra_files.items():
            shutil.copyfile(path, staging / name)
        (staging / CONFIG_NAME).write_text(json.dumps(dict(config), indent=2, sort_keys=True) + "\n")
        (staging / MODEL_CARD_NAME).write_text(card)
        if metadata is not None:
            (staging / METADATA_NAME).write_text(metadata.to_json())
        digests = write_manifest(staging)
    return digests
