"""Write a file or a folder completely or not at all: the one atomic-write helper of lcr_hub.

Every file or folder lcr_hub writes for others to read (checkpoints, releases, reports, the
registry) goes through :func:`atomic_write`, :func:`atomic_path` or :func:`staged_folder`:

* The new content is written under a **unique** hidden name beside the target
  (``.{name}.tmp-{host}-{pid}-{random}``, ``.{name}.staging-...``), never a fixed
  ``{name}.tmp``: two processes writing the same target at once would otherwise write into the
  same temporary file and one could publish the other's half-written bytes.
* It is moved into place with ``os.replace``/``os.rename`` within one folder (one file
  system), which is atomic: a reader opens the old content or the new, never half of one.
* Modes are set explicitly (0o644 files, 0o755 folders): ``mkstemp``/``mkdtemp`` create
  private 0o600/0o700 entries, and reading the process-wide umask means setting it
  (``os.umask``), which races with every other thread that creates files meanwhile.
* A writer killed half-way leaves only hidden leftovers whose names say who wrote them; the
  next write of the same target removes those of dead writers (see :func:`recover`).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..constants import (
    BACKUP_MARK,
    FILE_MODE,
    FOLDER_MODE,
    STAGING_MARK,
    STALE_AFTER_S,
    TEMPORARY_MARK,
)

#: How often :func:`staged_folder` retries moving its folder in when another writer of the
#: same output put one there between its two renames (the last writer wins).
_SWAP_ATTEMPTS = 8
_LEFTOVER_RE = re.compile(r"(?P<mark>[a-z]+)-(?P<host>[A-Za-z0-9]*)-(?P<pid>\d+)-")


def _host() -> str:
    """This machine's name, reduced to ``[A-Za-z0-9]`` (it is part of leftover names)."""
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:16]


def _prefix(target: Path, mark: str) -> str:
    return f".{target.name}.{mark}-{_host()}-{os.getpid()}-"


def _fsync(path: str | os.PathLike) -> None:
    """Flush a file's or folder's data to disk (best effort for folders: not every OS allows it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a unique temporary path beside ``path``; on success it replaces ``path`` atomically.

    For writers that want a file name (``savefig``, ``safetensors.save_file``). The temporary
    file keeps ``path``'s suffix, so writers that choose a format by extension still do.

    Args:
        path: The file to (re)place. Its folder is created if missing.

    Yields:
        The temporary file's path (it exists and is empty).

    Raises:
        OSError: The folder is not writable. Whatever the body raises propagates; the
            temporary file is then removed and ``path`` is left as it was.

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "report.json"
        >>> with atomic_path(target) as temp:
        ...     _ = temp.write_text("{}")
        >>> target.read_text(), oct(target.stat().st_mode & 0o777)
        ('{}', '0o644')
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover(path)
    fd, name = tempfile.mkstemp(prefix=_prefix(path, TEMPORARY_MARK), suffix=path.suffix, dir=path.parent)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        _fsync(temp)  # the bytes reach the disk before the name points at them
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync(path.parent)


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically, world-readable (0o644).

    Readers see the old content or the new, never a mix; concurrent writers each use their
    own temporary file, and the last one to finish wins.

    Args:
        path: The file to write. Its folder is created if missing.
        data: The content.

    Returns:
        ``path``.

    Raises:
        OSError: The folder is not writable.

    Example:
        >>> import tempfile
        >>> target = atomic_write(Path(tempfile.mkdtemp()) / "a.txt", "hello\\n")
        >>> target.read_text()
        'hello\\n'
    """
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with atomic_path(path) as temp, open(temp, "wb") as handle:
        handle.write(payload)
    return Path(path)


@contextmanager
def staged_folder(output: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder beside ``output``; on success it replaces ``output``.

    Write everything (``save_pretrained`` included, so a killed save leaves no large
    temporary file anywhere but in the staging folder) into the yielded folder. On success
    its modes are set (0o755 folders, 0o644 files), its files flushed to disk, and it is
    swapped in by :func:`_move_aside` + :func:`_move_in`: the old folder is renamed to a
    unique backup name, the staging folder to ``output``, then the backup is deleted. At
    every instant a complete copy (old or new) exists on disk; if the process dies between
    the two renames, the next ``staged_folder`` (or :func:`recover`) of the same output puts
    the old copy back before writing. On any exception the staging folder is removed and
    ``output`` is left as it was.

    Args:
        output: The folder to (re)place. Its parent is created if missing.

    Yields:
        The staging folder (empty).

    Raises:
        OSError: The parent folder is not writable, or ``output`` cannot be replaced.

    Example:
        >>> import tempfile
        >>> output = Path(tempfile.mkdtemp()) / "checkpoint"
        >>> with staged_folder(output) as staging:
        ...     _ = (staging / "config.json").write_text("{}")
        >>> sorted(p.name for p in output.parent.iterdir())
        ['checkpoint']
    """
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    recover(output)
    staging = _new_staging(output)
    try:
        yield staging
        _finalize(staging)
        backups = []
        for _ in range(_SWAP_ATTEMPTS):
            backup = _move_aside(output)
            backups += [backup] if backup is not None else []
            if _move_in(staging, output, backup):
                break
        else:
            raise OSError(errno.EBUSY, f"{output} kept being replaced by other writers; the new copy is at {staging}")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for backup in backups:
        shutil.rmtree(backup, ignore_errors=True)
    _fsync(output.parent)


def _new_staging(output: Path) -> Path:
    """A new, empty, uniquely named staging folder beside ``output``."""
    return Path(tempfile.mkdtemp(prefix=_prefix(output, STAGING_MARK), dir=output.parent))


def _finalize(staging: Path) -> None:
    """Set explicit modes on the staged tree and flush every file to disk."""
    for root, folders, files in os.walk(staging):
        os.chmod(root, FOLDER_MODE)
        for name in files:
            path = os.path.join(root, name)
            os.chmod(path, FILE_MODE)
            _fsync(path)
        for name in folders:
            os.chmod(os.path.join(root, name), FOLDER_MODE)
        _fsync(root)


def _move_aside(output: Path) -> Path | None:
    """Rename ``output`` to a unique backup name beside it; None when there is no ``output``."""
    backup = output.with_name(f"{_prefix(output, BACKUP_MARK)}{secrets.token_hex(4)}")
    try:
        os.rename(output, backup)
    except FileNotFoundError:  # nothing to replace (or another writer just moved it aside)
        return None
    return backup


def _move_in(staging: Path, output: Path, backup: Path | None) -> bool:
    """Rename ``staging`` to ``output``.

    Returns:
        True when done; False when another writer put a folder at ``output`` since
        :func:`_move_aside` (the caller moves that one aside too and tries again).

    Raises:
        OSError: The rename failed otherwise; ``backup`` is then put back at ``output``.
    """
    try:
        os.rename(staging, output)
        return True
    except OSError as error:
        # The destination held another writer's folder when the rename ran. Whether it is still
        # there does not matter (a third writer may have moved it aside since): try again.
        if error.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return False
        if backup is not None and not output.exists():
            os.rename(backup, output)
        raise


def _leftovers(target: Path) -> list[tuple[Path, str, bool]]:
    """The hidden leftovers of writes of ``target``: (path, mark, whether its writer is gone)."""
    head = f".{target.name}."
    found = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(head):
            continue
        match = _LEFTOVER_RE.match(entry.name, len(head))
        if match is None or match["mark"] not in (TEMPORARY_MARK, STAGING_MARK, BACKUP_MARK):
            continue
        found.append((Path(entry.path), match["mark"], _is_stale(Path(entry.path), match["host"], int(match["pid"]))))
    return found


def _is_stale(path: Path, host: str, pid: int) -> bool:
    """Whether the writer of a leftover is gone.

    On this host: its process no longer exists (a live process, this one's other threads
    included, may still be writing it). Written on another host (a shared file system): it
    has not been touched for :data:`~lcr_hub.constants.STALE_AFTER_S` seconds.
    """
    if host == _host():
        return not _alive(pid)
    try:
        newest = max([path.lstat().st_mtime, *(p.lstat().st_mtime for p in path.iterdir())] if path.is_dir()
                     else [path.lstat().st_mtime])
    except OSError:
        return False
    return time.time() - newest > STALE_AFTER_S


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def recover(target: str | os.PathLike) -> list[Path]:
    """Clean up after writers of ``target`` that died half-way.

    If ``target`` is missing and a dead writer left a backup of it (it was killed between
    moving the old folder aside and moving its new one in), the newest such backup is put
    back at ``target``. Every other leftover of a dead writer (temporary files, staging
    folders, backups) is removed. Leftovers of live writers are not touched.

    Args:
        target: A file or folder that lcr_hub writes atomically.

    Returns:
        The leftovers removed or restored.
    """
    target = Path(target)
    stale = [(path, mark) for path, mark, gone in _leftovers(target) if gone]
    handled = []
    if not os.path.lexists(target):
        backups = sorted((p for p, mark in stale if mark == BACKUP_MARK), key=lambda p: p.lstat().st_mtime)
        if backups:
            try:
                os.rename(backups[-1], target)
                handled.append(backups[-1])
            except OSError:
                pass
    for path, _ in stale:
        if path in handled:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                path.unlink()
            except OSError:
                continue
        handled.append(path)
    return handled


__all__ = ["atomic_path", "atomic_write", "recover", "staged_folder"]
