"""Verify a checkpoint folder: the sha256 of its files against pinned digests, and the checksum manifest."""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, NamedTuple

from ..constants import METADATA_NAME, STAMP_RACY_NS, WEIGHTS_NAME
from ..errors import CheckpointError
from .. import _hashing as stamps
from .._hashing import sha256_file
from ..checkpoint import folder_files, read_manifest, write_manifest  # noqa: F401 (re-exported; checkpoint.py owns the format)
from .registry import FileDigest

if TYPE_CHECKING:
    import torch

#: The largest safetensors JSON header accepted (the safetensors library's own limit, 100 MB).
SAFETENSORS_HEADER_MAX = 100_000_000
#: Bytes per element of every safetensors dtype.
SAFETENSORS_DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}

#: The torch dtype (attribute of ``torch``) of every safetensors dtype.
SAFETENSORS_TORCH_DTYPES = {
    "BOOL": "bool", "U8": "uint8", "I8": "int8", "F8_E5M2": "float8_e5m2", "F8_E4M3": "float8_e4m3fn",
    "I16": "int16", "U16": "uint16", "F16": "float16", "BF16": "bfloat16", "I32": "int32", "U32": "uint32",
    "F32": "float32", "I64": "int64", "U64": "uint64", "F64": "float64",
}


class TensorEntry(NamedTuple):
    """One tensor of a safetensors header: dtype name, shape, and its byte range in the data section."""

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


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


def read_once(path: str | os.PathLike, max_size: int = -1) -> tuple[bytearray, str]:
    """Read a file in one pass and return its bytes with the sha256 of exactly those bytes.

    Loading deserialises the returned bytes, never the file again, so a rewrite of the file
    after its check cannot slip unchecked bytes in. The digest comes from the file's
    verification stamp (no hashing) only when the file's stat is the same before opening and
    after reading and matches the stamp: no write happened in between (any write updates
    ctime), so the bytes are the stamped ones. Otherwise the bytes read are hashed.

    Args:
        path: The file (a symlink is followed; the stamp belongs to its target).
        max_size: Refuse to read a file larger than this many bytes (-1: no limit). A file
            over the limit is returned as ``b""`` with the digest ``""`` (a mismatch).

    Returns:
        ``(data, sha256 of data)``; ``data`` is a ``bytearray`` that belongs to the caller.

    Raises:
        OSError: The file cannot be opened or read.

    Example:
        ```python
        >>> import tempfile, os
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"abc")
        >>> read_once(f.name)[1][:16]
        'ba7816bf8f01cfea'
        >>> os.remove(f.name)

        ```
    """
    resolved = os.path.realpath(path)
    with open(resolved, "rb", buffering=0) as handle:
        before = os.fstat(handle.fileno())
        if 0 <= max_size < before.st_size:
            return b"", ""
        data = bytearray(before.st_size)  # writable, so that tensors can be views of it (no second copy)
        size = handle.readinto(data)
        data[size:] = b""
        data += handle.read()  # a file that grew while being read
        after = os.fstat(handle.fileno())
    same = stamps._stat_key(before) == stamps._stat_key(after) and len(data) == after.st_size
    if same and stat.S_ISREG(after.st_mode):
        digest = stamps._read_stamp(resolved, after)
        if digest is not None:
            return data, digest
    digest = hashlib.sha256(data).hexdigest()
    if same and stamps._now_ns() - after.st_ctime_ns >= STAMP_RACY_NS:
        stamps._write_stamp(resolved, after, digest)
    return data, digest


def safetensors_header(data: bytes | bytearray, where: str) -> dict[str, TensorEntry]:
    """Parse and check a safetensors file's header without allocating any tensor.

    The format: 8 bytes little-endian header length ``n``, ``n`` bytes of JSON
    ``{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}``, then the
    tensor data. Every entry must be a known dtype with a non-negative integer shape whose
    byte size equals its offsets, inside the file.

    Args:
        data: The file's bytes.
        where: The file's name for error messages.

    Returns:
        Tensor name -> :class:`TensorEntry`; offsets are relative to the data section, which
        starts at ``8 + n``.

    Raises:
        CheckpointError: The header is truncated, claims more bytes than the file (or than
            :data:`SAFETENSORS_HEADER_MAX`), is not a JSON object, or an entry is malformed.

    Example:
        ```python
        >>> import torch
        >>> from safetensors.torch import save
        >>> safetensors_header(save({"w": torch.zeros(2, 3)}), "w.safetensors")
        {'w': TensorEntry(dtype='F32', shape=(2, 3), begin=0, end=24)}
        >>> safetensors_header(bytes([255]) * 16, "bad.safetensors")
        Traceback (most recent call last):
        ...
        lcr_hub.errors.CheckpointError: bad.safetensors: not a safetensors file: its header claims 18446744073709551615 bytes (the file has 16; at most 100000000 allowed). Re-download or re-save the checkpoint.

        ```
    """
    fix = "Re-download or re-save the checkpoint."
    if len(data) < 8:
        raise CheckpointError(f"{where}: not a safetensors file: {len(data)} bytes, shorter than the 8-byte header length. {fix}")
    size = int.from_bytes(data[:8], "little")
    if size > min(SAFETENSORS_HEADER_MAX, len(data) - 8):
        raise CheckpointError(
            f"{where}: not a safetensors file: its header claims {size} bytes (the file has {len(data)}; at most "
            f"{SAFETENSORS_HEADER_MAX} allowed). {fix}"
        )
    try:
        header = json.loads(data[8:8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{where}: the safetensors header is not JSON ({error}). {fix}") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{where}: the safetensors header is not a JSON object. {fix}")
    body = len(data) - 8 - size
    tensors: dict[str, TensorEntry] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
            valid = (
                dtype in SAFETENSORS_DTYPE_BYTES
                and all(type(d) is int and d >= 0 for d in shape)
                and all(type(o) is int for o in (begin, end))
                and 0 <= begin <= end <= body
                and end - begin == math.prod(shape) * SAFETENSORS_DTYPE_BYTES[dtype]
            )
        except (TypeError, KeyError, ValueError):
            valid = False
        if not valid:
            raise CheckpointError(
                f"{where}: malformed safetensors header entry for tensor {name!r}: {str(entry)[:200]} (needs a "
                f"known dtype, a shape of non-negative ints and data_offsets inside the file's {body} data bytes "
                f"that match the shape). {fix}"
            )
        tensors[name] = TensorEntry(dtype, tuple(shape), begin, end)
    return tensors


def tensors_from_buffer(data: bytearray, header: Mapping[str, TensorEntry]) -> dict[str, "torch.Tensor"]:
    """The tensors of a safetensors file held in memory, as views of ``data`` (nothing is copied).

    Args:
        data: The whole file, as read (a ``bytearray``: the tensors share its memory, so do
            not modify it afterwards).
        header: Its parsed header (:func:`safetensors_header`).

    Returns:
        Tensor name -> tensor.

    Example:
        ```python
        >>> import torch
        >>> from safetensors.torch import save
        >>> data = bytearray(save({"w": torch.arange(6.0).reshape(2, 3)}))
        >>> tensors_from_buffer(data, safetensors_header(data, "w.safetensors"))["w"].tolist()
        [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]

        ```
    """
    import torch

    start = 8 + int.from_bytes(data[:8], "little")
    tensors = {}
    for name, entry in header.items():
        dtype = getattr(torch, SAFETENSORS_TORCH_DTYPES[entry.dtype])
        if entry.end == entry.begin:
            tensors[name] = torch.empty(entry.shape, dtype=dtype)
        else:
            flat = torch.frombuffer(data, dtype=dtype, count=math.prod(entry.shape), offset=start + entry.begin)
            tensors[name] = flat.view(entry.shape)
    return tensors


def check_header_shapes(expected: Mapping[str, tuple[int, ...]], found: Mapping[str, tuple[str, tuple[int, ...]]],
                        where: str, config_where: str) -> None:
    """Refuse weights whose tensors differ from what the config implies, before allocating them.

    Args:
        expected: Tensor name -> shape, from the model built on the ``meta`` device from the config.
        found: The safetensors header (:func:`safetensors_header`).
        where: The weights file, for the message.
        config_where: The config file, for the message.

    Raises:
        CheckpointError: Tensors missing, unexpected or of another shape, each named.

    Example:
        ```python
        >>> check_header_shapes({"w": (2, 3)}, {"w": ("F32", (2, 3))}, "model.safetensors", "config.json")
        >>> check_header_shapes({"w": (2, 3)}, {"w": ("F32", (4096, 3))}, "model.safetensors", "config.json")
        Traceback (most recent call last):
        ...
        lcr_hub.errors.CheckpointError: model.safetensors does not match config.json: tensor 'w' has shape (4096, 3) but the config implies (2, 3). Nothing was allocated. Check that config.json belongs to these weights (hidden_size and the layer sizes), or re-save the model with save_pretrained().

        ```
    """
    problems = []
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    if missing:
        problems.append(f"missing tensors {missing}")
    if unexpected:
        problems.append(f"unexpected tensors {unexpected}")
    for name in sorted(set(expected) & set(found)):
        if tuple(expected[name]) != found[name][1]:
            problems.append(f"tensor '{name}' has shape {found[name][1]} but the config implies {tuple(expected[name])}")
    if problems:
        raise CheckpointError(
            f"{where} does not match {config_where}: " + "; ".join(problems) + ". Nothing was allocated. Check that "
            "config.json belongs to these weights (hidden_size and the layer sizes), or re-save the model with "
            "save_pretrained()."
        )
