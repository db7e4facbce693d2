"""Verify a checkpoint folder: the sha256 of its files against pinned digests, and the checksum manifest."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import json

from ..constants import METADATA_NAME, WEIGHTS_NAME
from ..errors import CheckpointError
from .. import _hashing as stamps
from .._hashing import sha256_file
from ..checkpoint import folder_files, read_manifest, write_manifest  # noqa: F401 (re-exported; checkpoint.py owns the format)
from .registry import FileDigest



@dataclass(frozen=True)
class FileCheck:
    """The outcome of checking one file.

    Args:
        name: Path inside the checked folder.
        status: ``ok``, ``mismatch`` (digest or size differs), ``missing`` or ``unexpected``
            (present but not pinned).
        expected: The pinned sha256 ("" for unexpected files).
        actual: The sha256 of the bytes on disk ("" for missing files).
    """

    name: str
    status: str
    expected: str
    actual: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def line(self) -> str:
        """One line for ``lcr-hub verify``."""
        detail = {
            "ok": f"sha256 {self.actual}",
            "mismatch": f"expected {self.expected}, got {self.actual}",
            "missing": f"expected {self.expected}, file not found",
            "unexpected": f"not pinned (sha256 {self.actual})",
        }[self.status]
        return f"{self.status.upper() if not self.ok else 'ok':<10} {self.name}  {detail}"


def verify_folder(
    folder: str | os.PathLike, expected: Mapping[str, FileDigest], exact: bool = True, *, rehash: bool = False
) -> list[FileCheck]:
    """Verify ``folder``: hash its files and compare them with ``expected``.

    Args:
        folder: The folder to check.
        expected: Relative path -> pinned digest. Sizes of -1 are not checked (manifests
            carry no sizes).
        exact: Also report files that ``expected`` does not list (``unexpected``).
        rehash: Read and hash every byte of every file. By default (what loading does) a
            file whose verification stamp matches (same path, device, inode, size, mtime and
            ctime as when it was last hashed; see ``lcr_hub._hashing``) is not read
            again. ``lcr-hub verify`` passes True: it is the explicit full check.

    Returns:
        One :class:`FileCheck` per pinned file (and, with ``exact``, per other file), in path order.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "config.json").write_text("{}")
        >>> pinned = write_manifest(folder)  # the digests a release records
        >>> [(c.name, c.ok) for c in verify_folder(folder, pinned)]
        [('checksums.sha256', True), ('config.json', True)]
        >>> _ = (folder / "config.json").write_text('{"changed": true}')
        >>> [c.name for c in verify_folder(folder, pinned) if not c.ok]
        ['config.json']
    """
    root = os.path.join(os.fspath(folder), "")  # plain string paths (this runs on every load), ending with a separator
    present = set(folder_files(root)) if exact else {name for name in expected if os.path.isfile(root + name)}
    checks = []
    for name in sorted(present | set(expected)):
        path = root + name
        pinned = expected.get(name)
        if name not in present:
            checks.append(FileCheck(name, "missing", pinned.sha256, ""))
            continue
        actual = sha256_file(path) if rehash else stamps.file_sha256(path)
        if pinned is None:
            checks.append(FileCheck(name, "unexpected", "", actual))
        elif actual != pinned.sha256 or (pinned.size >= 0 and os.stat(path).st_size != pinned.size):
            checks.append(FileCheck(name, "mismatch", pinned.sha256, actual))
        else:
            checks.append(FileCheck(name, "ok", pinned.sha256, actual))
    return checks


def evict(path: str | os.PathLike) -> None:
    """Remove a cached file and, for a Hub cache symlink, the blob it points to.

    The next download of the same revision then fetches the file again. The removed file's
    verification stamp is dropped too, so a file later written at the same path is hashed afresh.
    """
    path = Path(path)
    target = path.resolve() if path.is_symlink() else None
    stamps.forget(path)
    path.unlink(missing_ok=True)
    if target is not None:
        target.unlink(missing_ok=True)


def recorded_digests(folder: str | os.PathLike) -> list[dict[str, FileDigest]]:
    """The digests a local checkpoint folder records for its own files.

    These detect corruption and accidental edits (the folder carries them itself; only a
    release loaded by Hub repo id is checked against independently pinned digests).

    Args:
        folder: A checkpoint folder.

    Returns:
        Up to two digest sets: the ``checksums.sha256`` manifest (published folders) and the
        ``weights_sha256`` of ``model.safetensors`` in ``training_metadata.json`` (folders
        written by training or calibration). Empty when the folder records neither.

    Raises:
        CheckpointError: The manifest or the metadata cannot be read.
    """
    folder = Path(folder)
    sets = []
    manifest = read_manifest(folder)
    if manifest is not None:
        sets.append(manifest)
    metadata_path = folder / METADATA_NAME
    if metadata_path.is_file():
        try:
            digest = json.loads(metadata_path.read_text()).get("weights_sha256")
        except (json.JSONDecodeError, AttributeError) as error:
            raise CheckpointError(f"{metadata_path}: not a JSON object ({error}).") from None
        if digest:
            sets.append({WEIGHTS_NAME: FileDigest(digest, -1)})
    return sets
