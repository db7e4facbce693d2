"""The constraints file of a release: the exact versions its checkpoints were built with.

``constraints/release.txt`` (pip's constraints format) pins every package that the
``framework`` section of the embedded checkpoints' ``training_metadata.json`` records (those with
recorded ``steps`` when any has them: :func:`rebuildable`), so that
``pip install torch==<version> -e . -c constraints/release.txt`` installs the versions a
rebuild needs; the package itself keeps its version ranges. ``scripts/release_constraints.py``
checks the file against the metadata (``--write`` regenerates it after a release).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .checkpoint import CheckpointMetadata
from .errors import CheckpointError

#: ``framework`` keys of the training metadata -> the pip distribution they pin.
FRAMEWORK_PACKAGES: dict[str, str] = {
    "pytorch_version": "torch",
    "transformers_version": "transformers",
    "huggingface_hub_version": "huggingface_hub",
    "datasets_version": "datasets",
    "accelerate_version": "accelerate",
    "safetensors_version": "safetensors",
    "tokenizers_version": "tokenizers",
    "numpy_version": "numpy",
    "sklearn_version": "scikit-learn",
}
#: The ``framework`` key of the Python version (a comment in the file: pip cannot pin it).
PYTHON_KEY = "python_version"


def pinned_versions(metadata: Mapping[str, CheckpointMetadata]) -> dict[str, str]:
    """The exact version of each package, as the checkpoints' ``framework`` sections record it.

    A local version label (torch's ``+cpu``) is dropped: ``torch==2.13.0`` matches ``2.13.0+cpu``.

    Args:
        metadata: Checkpoint name (for messages) -> its metadata.

    Returns:
        pip name -> version, sorted by name; ``python`` -> the Python version.

    Raises:
        CheckpointError: Two checkpoints record different versions of a package (one
            constraints file cannot rebuild both; the message names them).

    Example:
        >>> from lcr_hub.checkpoint import default_checkpoint, read_metadata
        >>> pins = pinned_versions({"classifier": read_metadata(default_checkpoint("classifier"))})
        >>> pins["torch"], "+" in pins["torch"]
        ('2.13.0', False)
    """
    pins: dict[str, tuple[str, str]] = {}
    for name, meta in metadata.items():
        for key, package in [*FRAMEWORK_PACKAGES.items(), (PYTHON_KEY, "python")]:
            version = meta.framework.get(key)
            if not version:
                continue
            version = str(version).split("+")[0]
            if package in pins and pins[package][0] != version:
                raise CheckpointError(
                    f"{pins[package][1]} records {package} {pins[package][0]} and {name} records {version}: one "
                    "constraints file cannot rebuild both. Retrain one of them with the other's versions."
                )
            pins.setdefault(package, (version, name))
    return {package: pins[package][0] for package in sorted(pins)}


def rebuildable(metadata: Mapping[str, CheckpointMetadata]) -> dict[str, CheckpointMetadata]:
    """The checkpoints whose recorded steps ``lcr-hub rebuild`` can replay (all, when none records steps).

    Checkpoints released before steps were recorded are retrained from their card's command
    and may record other versions; the constraints file pins the versions of the ones a
    rebuild replays.

    Args:
        metadata: Checkpoint name -> its metadata.

    Returns:
        The entries with ``steps``, or ``metadata`` itself when none has them.
    """
    with_steps = {name: meta for name, meta in metadata.items() if meta.steps}
    return with_steps or dict(metadata)


def constraints_text(pins: Mapping[str, str], sources: str) -> str:
    """The constraints file for ``pins`` (:func:`pinned_versions`).

    Args:
        pins: pip name -> version (``python`` becomes a comment).
        sources: What the versions were read from (a comment line).

    Returns:
        The file's text.

    Example:
        >>> print(constraints_text({"python": "3.11.7", "torch": "2.13.0"}, "x/training_metadata.json"), end="")
        # Exact versions the released checkpoints were built with, read from the `framework`
        # section of x/training_metadata.json.
        # Rebuild: pip install torch==2.13.0 -e . -c constraints/release.txt
        # Regenerate after a release: python scripts/release_constraints.py --write
        # python 3.11.7
        torch==2.13.0
    """
    torch_version = pins.get("torch", "<version>")
    header = [
        "# Exact versions the released checkpoints were built with, read from the `framework`",
        f"# section of {sources}.",
        f"# Rebuild: pip install torch=={torch_version} -e . -c constraints/release.txt",
        "# Regenerate after a release: python scripts/release_constraints.py --write",
    ]
    if "python" in pins:
        header.append(f"# python {pins['python']}")
    return "\n".join([*header, *(f"{p}=={v}" for p, v in pins.items() if p != "python")]) + "\n"


def read_constraints(path: str | os.PathLike) -> dict[str, str]:
    """The ``name==version`` lines of a constraints file (comments and blank lines skipped).

    Raises:
        CheckpointError: The file is missing, or a line is not ``name==version``.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} is missing. Write it with: python scripts/release_constraints.py --write")
    pins: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise CheckpointError(f"{path}:{number}: expected 'name==version', got {line!r}.")
        pins[name.strip().lower()] = version.strip()
    return pins


def constraint_problems(path: str | os.PathLike, pins: Mapping[str, str]) -> list[str]:
    """What differs between a constraints file and the versions the checkpoints record.

    Args:
        path: The constraints file.
        pins: :func:`pinned_versions` of the checkpoints.

    Returns:
        One line per package pinned differently, missing or extra (empty: the file matches).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "release.txt"
        >>> _ = path.write_text("torch==2.13.0\\ntransformers==5.25.0\\n")
        >>> constraint_problems(path, {"torch": "2.13.0", "transformers": "5.24.0"})
        ['transformers: the file pins 5.25.0, the checkpoints record 5.24.0']
    """
    found = read_constraints(path)
    problems = []
    for package, version in pins.items():
        if package == "python":
            continue
        if package not in found:
            problems.append(f"{package}: not in the file, the checkpoints record {version}")
        elif found[package] != version:
            problems.append(f"{package}: the file pins {found[package]}, the checkpoints record {version}")
    problems += [f"{p}: pinned by the file ({v}), recorded by no checkpoint" for p, v in found.items() if p not in pins]
    return problems
