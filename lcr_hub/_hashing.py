"""Verification stamps: skip re-hashing a file that has not changed since it was hashed.

Loading a checkpoint checks the sha256 of every file of its folder. As git's index does for
a work tree, a *stamp* remembers, for one file, its resolved path, ``st_dev``, ``st_ino``,
``st_size``, ``st_mtime_ns``, ``st_ctime_ns`` and the sha256 of its bytes. While all these
stat fields are identical, the file has not been rewritten: any write, rename onto it or
``chmod`` updates its ctime, which user space cannot set back (``touch``/``os.utime`` set
mtime and atime only). :func:`file_sha256` then returns the recorded digest without reading
the file; otherwise it hashes the file and records a new stamp.

A stamp is recorded only when

* the file's stat is the same before and after hashing (no write during the hash), and
* its ctime is at least :data:`~lcr_hub.constants.STAMP_RACY_NS` (2 s) older than the time of
  recording. Timestamps advance in coarse ticks, so a write in the same tick as our hash could
  leave ctime unchanged ("racy" files in git); a file written within the last 2 s is hashed
  on every call until it is older.

Stamps live in ``$LCR_HUB_CACHE/stamps`` (default ``~/.cache/lcr_hub/stamps``), one JSON file
per stamped file named by the sha256 of its resolved path, written atomically (temporary file
+ ``os.replace``), so concurrent processes never see half a stamp. The cache is best effort:
an unreadable, corrupt or foreign stamp is ignored (and overwritten), and a missing or
read-only cache folder only means that files are hashed every time. Deleting the folder is
always safe.

Stamps protect against corrupted or substituted downloads and accidental edits; they add no
trust against someone who can write to the user's files (who could equally edit the stamps,
the files, or the installed registry of digests). ``lcr-hub verify`` never uses them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .constants import CACHE_ENV, DEFAULT_CACHE_DIR, SHA256_HEX, STAMP_RACY_NS, STAMPS_DIRNAME

logger = logging.getLogger(__name__)

#: Version of the stamp format; stamps of another version are ignored.
STAMP_VERSION = 1

_STAT_FIELDS = ("dev", "ino", "size", "mtime_ns", "ctime_ns")
# Linux: resolve a path and stat the file through one O_PATH descriptor (a few syscalls,
# where os.path.realpath lstats every component in Python); elsewhere realpath + stat.
_O_PATH: int = getattr(os, "O_PATH", 0)
_PROC_FD = "/proc/self/fd"
_MAX_STAMP_BYTES = 4096


_HASH_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class FileDigest:
    """The digest of one file (pinned in the registry or listed in a manifest).

    Args:
        sha256: Lowercase hex sha256 of the file's bytes.
        size: Size in bytes (-1: unknown, as in ``checksums.sha256`` manifests).
    """

    sha256: str
    size: int


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex sha256 digest of a file, read in 8 MiB chunks.

    Args:
        path: The file to hash.

    Returns:
        The lowercase hex digest.

    Example:
        >>> import tempfile, os
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"abc")
        >>> sha256_file(f.name)
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
        >>> os.remove(f.name)
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stamps_dir() -> Path:
    """The folder that holds the stamps.

    Returns:
        ``$LCR_HUB_CACHE/stamps`` when ``LCR_HUB_CACHE`` is set and not empty, else
        ``~/.cache/lcr_hub/stamps``. The folder may not exist.
    """
    return Path(_stamps_dir())


def _stamps_dir() -> str:
    return _expanded_stamps_dir(os.environ.get(CACHE_ENV) or DEFAULT_CACHE_DIR)


@lru_cache(maxsize=8)
def _expanded_stamps_dir(root: str) -> str:
    return os.path.join(os.path.expanduser(root), STAMPS_DIRNAME, "")  # ends with a separator


def _now_ns() -> int:
    """The clock the racy rule compares ctimes with (a function, so tests can move it)."""
    return time.time_ns()


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _stamp_path(resolved: str) -> str:
    name = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{_stamps_dir()}{name}.json"  # plain strings: this runs for every file of every load


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and SHA256_HEX.fullmatch(value) is not None


def _resolve_and_stat(path: str | os.PathLike) -> tuple[str, os.stat_result]:
    """The resolved absolute path of ``path`` (symlinks followed) and the stat of that file.

    Raises:
        OSError: ``path`` does not exist or cannot be reached.
    """
    if _O_PATH:
        fd = os.open(path, _O_PATH | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            try:
                resolved = os.readlink(f"{_PROC_FD}/{fd}")
            except OSError:  # no /proc: fall back below
                resolved = ""
        finally:
            os.close(fd)
        if resolved.startswith("/") and not resolved.endswith(" (deleted)"):
            return resolved, st
    resolved = os.path.realpath(path)
    return resolved, os.stat(resolved)


def _read_stamp(resolved: str, st: os.stat_result) -> str | None:
    """The digest recorded for ``resolved`` if its stamp matches ``st`` exactly, else None."""
    path = _stamp_path(resolved)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            owner = os.fstat(fd).st_uid
            raw = os.read(fd, _MAX_STAMP_BYTES)
        finally:
            os.close(fd)
        record = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:  # unreadable or corrupt (JSONDecodeError, UnicodeDecodeError)
        logger.debug("ignoring unreadable stamp %s: %s", path, error)
        return None
    if hasattr(os, "geteuid") and owner != os.geteuid():
        logger.debug("ignoring stamp %s: owned by uid %s, not by this user", path, owner)
        return None
    if (
        not isinstance(record, dict)
        or record.get("version") != STAMP_VERSION
        or record.get("path") != resolved
        or not _is_sha256(record.get("sha256"))
    ):
        logger.debug("ignoring stamp %s: not a stamp of %s", path, resolved)
        return None
    recorded = (record.get("dev"), record.get("ino"), record.get("size"), record.get("mtime_ns"), record.get("ctime_ns"))
    if recorded != _stat_key(st):
        return None  # the file changed (or was replaced) since it was stamped
    return record["sha256"]


def _write_stamp(resolved: str, st: os.stat_result, digest: str) -> None:
    """Record ``digest`` for ``resolved`` as of ``st``; any failure is logged and ignored."""
    path = Path(_stamp_path(resolved))
    record = {"version": STAMP_VERSION, "path": resolved, "sha256": digest}
    record.update(zip(_STAT_FIELDS, _stat_key(st)))
    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.stem[:16]}-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w") as handle:
            json.dump(record, handle)
        os.replace(temp, path)  # atomic: readers see the old stamp or the new one, never half of one
        temp = None
    except (OSError, ValueError) as error:
        logger.debug("not recording a stamp for %s in %s: %s", resolved, path.parent, error)
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file, from its stamp when the file is unchanged since it was stamped.

    Args:
        path: The file (a symlink is resolved: the stamp belongs to its target).

    Returns:
        The lowercase hex sha256 of the file's bytes.

    Raises:
        OSError: The file cannot be stat'ed or read (as :func:`sha256_file`).
            Stamp cache errors are never raised.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "abc.txt"
        >>> _ = path.write_bytes(b"abc")
        >>> file_sha256(path) == sha256_file(path)
        True
    """
    resolved, before = _resolve_and_stat(path)
    if stat.S_ISREG(before.st_mode):
        digest = _read_stamp(resolved, before)
        if digest is not None:
            return digest
    digest = sha256_file(resolved)
    after = os.stat(resolved)
    if (
        stat.S_ISREG(after.st_mode)
        and _stat_key(before) == _stat_key(after)
        and _now_ns() - after.st_ctime_ns >= STAMP_RACY_NS
    ):
        _write_stamp(resolved, after, digest)
    return digest


def forget(path: str | os.PathLike) -> None:
    """Remove the stamp of ``path`` (resolved as :func:`file_sha256` does), if there is one.

    Args:
        path: A file, which need not exist any more.

    Returns:
        None. Failures to remove the stamp are logged and ignored (a stale stamp never
        matches a rewritten file anyway).
    """
    try:
        resolved = _resolve_and_stat(path)[0]
    except OSError:  # gone already: only its former path is known
        resolved = os.path.realpath(path)
    stamp = _stamp_path(resolved)
    try:
        os.unlink(stamp)
    except FileNotFoundError:
        pass
    except OSError as error:
        logger.debug("could not remove stamp %s: %s", stamp, error)
