"""Verification stamps: an unchanged file is not hashed again; any rewrite of it is."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

import pytest

from lcr_hub import LCRDetector
from lcr_hub.errors import IntegrityError
from lcr_hub.cli import main
from lcr_hub.constants import CACHE_ENV, STAMP_RACY_NS, WEIGHTS_NAME
from lcr_hub._hashing import sha256_file
from lcr_hub.hub import verify
from lcr_hub.hub.publish import prepare_release_folder
from lcr_hub.hub.registry import FileDigest, Variant, add_variant
from lcr_hub.hub.verify import read_manifest
from lcr_hub import _hashing as stamps

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def stamp_dir(monkeypatch, tmp_path) -> Path:
    """A fresh stamp cache for this test (``LCR_HUB_CACHE``); returns its ``stamps/`` folder."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "lcr_hub_cache"))
    return tmp_path / "lcr_hub_cache" / "stamps"


@pytest.fixture
def future_clock(monkeypatch) -> None:
    """Move the stamps' clock 3 s ahead, so files written by the test are past the racy window.

    (A file's ctime cannot be set from user space, so the clock is moved instead.)
    """
    monkeypatch.setattr(stamps, "_now_ns", lambda: time.time_ns() + STAMP_RACY_NS + 1_000_000_000)


@pytest.fixture
def hash_calls(monkeypatch) -> list[str]:
    """Record every path that ``stamps`` and ``verify_folder`` hash for real."""
    calls: list[str] = []

    def counting(path) -> str:
        calls.append(Path(path).name)
        return sha256_file(path)

    monkeypatch.setattr(stamps, "sha256_file", counting)
    monkeypatch.setattr(verify, "sha256_file", counting)
    return calls


def forbid_hashing(monkeypatch) -> None:
    def refuse(path) -> str:
        raise AssertionError(f"{path} was hashed although its stamp matches")

    monkeypatch.setattr(stamps, "sha256_file", refuse)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rewrite_keeping_mtime(path: Path, data: bytes) -> None:
    """Overwrite ``path`` in place (same inode) and set its mtime back: only its ctime changes."""
    before = path.stat()
    time.sleep(0.05)  # a later timestamp tick than the original write
    with open(path, "r+b") as handle:
        handle.write(data)
        handle.truncate()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert after.st_ctime_ns != before.st_ctime_ns


def test_first_call_hashes_and_stamps_then_the_file_is_not_read(tmp_path, stamp_dir, future_clock, hash_calls,
                                                                monkeypatch):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"x" * 1000)
    assert stamps.file_sha256(path) == digest(b"x" * 1000)
    assert hash_calls == ["weights.bin"]
    (stamp_file,) = stamp_dir.iterdir()
    record = json.loads(stamp_file.read_text())
    st = path.stat()
    assert record["path"] == str(path.resolve()) and record["sha256"] == digest(b"x" * 1000)
    assert [record[k] for k in ("dev", "ino", "size", "mtime_ns", "ctime_ns")] == [
        st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    assert stamp_file.name == hashlib.sha256(str(path.resolve()).encode()).hexdigest() + ".json"

    forbid_hashing(monkeypatch)
    assert stamps.file_sha256(path) == digest(b"x" * 1000)
    link = tmp_path / "link.bin"  # a symlink uses its target's stamp
    link.symlink_to(path)
    assert stamps.file_sha256(link) == digest(b"x" * 1000)


def test_without_o_path_realpath_gives_the_same_stamps(tmp_path, stamp_dir, future_clock, hash_calls, monkeypatch):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"y" * 100)
    stamps.file_sha256(path)  # Linux: resolved through /proc/self/fd
    monkeypatch.setattr(stamps, "_O_PATH", 0)  # other systems: os.path.realpath + os.stat
    assert stamps.file_sha256(tmp_path / "." / "weights.bin") == digest(b"y" * 100)
    assert hash_calls == ["weights.bin"] and len(list(stamp_dir.iterdir())) == 1


def test_same_size_rewrite_with_restored_mtime_is_hashed_again(tmp_path, stamp_dir, future_clock, hash_calls):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"a" * 1000)
    assert stamps.file_sha256(path) == digest(b"a" * 1000)
    rewrite_keeping_mtime(path, b"b" * 1000)  # only ctime tells the rewrite apart
    assert stamps.file_sha256(path) == digest(b"b" * 1000)
    assert hash_calls == ["weights.bin", "weights.bin"]


def test_a_file_changed_within_the_racy_window_is_hashed_but_not_stamped(tmp_path, stamp_dir, hash_calls):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"fresh")  # ctime: now (the real clock)
    assert stamps.file_sha256(path) == digest(b"fresh")
    assert stamps.file_sha256(path) == digest(b"fresh")
    assert hash_calls == ["weights.bin", "weights.bin"]
    assert not stamp_dir.exists() or not any(stamp_dir.iterdir())


def test_a_file_changed_while_it_is_hashed_is_not_stamped(tmp_path, stamp_dir, future_clock, monkeypatch):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"a" * 100)

    def hash_then_append(p) -> str:
        result = sha256_file(p)
        with open(p, "ab") as handle:
            handle.write(b"more")
        return result

    monkeypatch.setattr(stamps, "sha256_file", hash_then_append)
    stamps.file_sha256(path)
    assert not stamp_dir.exists() or not any(stamp_dir.iterdir())


def test_corrupt_or_foreign_stamps_are_ignored_and_overwritten(tmp_path, stamp_dir, future_clock, hash_calls):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"payload")
    stamps.file_sha256(path)
    (stamp_file,) = stamp_dir.iterdir()
    valid = json.loads(stamp_file.read_text())
    bad_stamps = [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        json.dumps({**valid, "sha256": "not a digest"}).encode(),
        json.dumps({**valid, "path": "/elsewhere"}).encode(),
        json.dumps({**valid, "version": 0}).encode(),
    ]
    for bad in bad_stamps:
        stamp_file.write_bytes(bad)
        assert stamps.file_sha256(path) == digest(b"payload")
        assert json.loads(stamp_file.read_text()) == valid  # overwritten with a good stamp
    assert len(hash_calls) == 1 + len(bad_stamps)


@pytest.mark.parametrize("blocked", ["file_as_cache_dir", "read_only_dir"])
def test_an_unusable_cache_dir_never_breaks_hashing(tmp_path, monkeypatch, future_clock, hash_calls, blocked):
    cache = tmp_path / "cache"
    if blocked == "file_as_cache_dir":
        cache.write_text("not a folder")
    else:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            pytest.skip("root writes to read-only folders")
        (cache / "stamps").mkdir(parents=True)
        (cache / "stamps").chmod(0o500)
    monkeypatch.setenv(CACHE_ENV, str(cache))
    path = tmp_path / "weights.bin"
    path.write_bytes(b"data")
    assert stamps.file_sha256(path) == digest(b"data")
    assert stamps.file_sha256(path) == digest(b"data")
    assert len(hash_calls) == 2


def test_concurrent_callers_always_get_the_digest_and_leave_one_stamp(tmp_path, stamp_dir, future_clock):
    path = tmp_path / "weights.bin"
    path.write_bytes(os.urandom(1 << 16))
    expected = sha256_file(path)
    results: list[str] = []

    def work() -> None:
        for i in range(20):
            if i % 5 == 4:
                stamps.forget(path)
            results.append(stamps.file_sha256(path))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 120
    assert [p.suffix for p in stamp_dir.iterdir()] == [".json"]  # no temporary file left behind


def test_evict_drops_the_stamp_and_a_new_blob_at_the_same_path_is_hashed(tmp_path, stamp_dir, future_clock,
                                                                       hash_calls):
    blob = tmp_path / "blobs" / "abc"
    blob.parent.mkdir()
    blob.write_bytes(b"1" * 64)
    snapshot = tmp_path / "snapshots" / "c0ffee"
    snapshot.mkdir(parents=True)
    (snapshot / WEIGHTS_NAME).symlink_to(blob)
    assert stamps.file_sha256(snapshot / WEIGHTS_NAME) == digest(b"1" * 64)
    assert len(list(stamp_dir.iterdir())) == 1
    verify.evict(snapshot / WEIGHTS_NAME)
    assert not blob.exists() and not list(stamp_dir.iterdir())
    blob.write_bytes(b"2" * 64)  # re-downloaded at the same path, same size
    (snapshot / WEIGHTS_NAME).symlink_to(blob)
    assert stamps.file_sha256(snapshot / WEIGHTS_NAME) == digest(b"2" * 64)
    assert hash_calls == ["abc", "abc"]


def test_loading_a_folder_twice_uses_stamps_and_in_place_tampering_is_caught(tmp_path, stamp_dir, future_clock,
                                                                             hash_calls, monkeypatch):
    folder = tmp_path / "detector"
    prepare_release_folder(REPO / "checkpoints" / "detector", folder)
    files = sorted(read_manifest(folder))  # what loading checks (the manifest does not list itself)
    hash_calls.clear()  # (writing the manifest hashed the files)
    assert isinstance(LCRDetector.from_pretrained(folder), LCRDetector)
    assert sorted(hash_calls) == files  # cold: every file hashed (and stamped)
    hash_calls.clear()
    assert isinstance(LCRDetector.from_pretrained(folder), LCRDetector)
    assert hash_calls == []  # warm: the stamps match, no file is read

    weights = folder / WEIGHTS_NAME
    data = bytearray(weights.read_bytes())
    data[-8:] = bytes(8) if data[-8:] != bytes(8) else b"\x01" * 8
    rewrite_keeping_mtime(weights, bytes(data))
    with pytest.raises(IntegrityError, match=f"{WEIGHTS_NAME}: expected sha256"):
        LCRDetector.from_pretrained(folder)
    assert hash_calls == [WEIGHTS_NAME]


def test_lcr_hub_verify_rehashes_every_file_despite_valid_stamps(tmp_path, stamp_dir, future_clock, temp_registry,
                                                                 hash_calls, capsys):
    folder = tmp_path / "copy"
    folder.mkdir()
    for name, data in {"config.json": b"{}", WEIGHTS_NAME: b"w" * 512}.items():
        (folder / name).write_bytes(data)
    pinned = {p.name: FileDigest(sha256_file(p), p.stat().st_size) for p in folder.iterdir()}
    add_variant(Variant("detector/stamped", "lcr_detector", "o/r", "detector/stamped", "detector-stamped-v1",
                        "0" * 40, pinned))
    assert all(c.ok for c in verify.verify_folder(folder, pinned))  # a loader's check: stamps recorded
    assert len(list(stamp_dir.iterdir())) == 2
    hash_calls.clear()
    assert all(c.ok for c in verify.verify_folder(folder, pinned)) and hash_calls == []  # stamps match

    assert main(["verify", "detector/stamped", "--folder", str(folder)]) == 0
    assert sorted(hash_calls) == sorted(pinned)  # every byte read again
    assert "2 ok, 0 bad" in capsys.readouterr().out
