"""The one atomic-write helper: unique temporary names, explicit modes, crash leftovers cleaned up."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lcr_hub._modules import atomic
from lcr_hub._modules.atomic import atomic_path, atomic_write, recover, staged_folder
from lcr_hub.constants import STALE_AFTER_S

REPO = Path(__file__).resolve().parents[1]
SIZE = 1 << 20  # 1 MiB per version: big enough that a non-atomic write would be seen half-done
# Child processes import the helper without running lcr_hub/__init__ (torch, transformers):
# the package is registered as a bare namespace, so they start in a fraction of a second.
BARE_IMPORT = (
    "import os, sys, types\nfrom pathlib import Path\n"
    f"package = types.ModuleType('lcr_hub'); package.__path__ = [{str(REPO / 'lcr_hub')!r}]\n"
    "sys.modules['lcr_hub'] = package\nfrom lcr_hub._modules import atomic\n"
)


def _python(script: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", BARE_IMPORT + script])


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_write_sets_the_mode_without_touching_the_umask(tmp_path, monkeypatch):
    previous = os.umask(0o077)  # a private umask would give 0o600 to a plainly written file
    try:
        monkeypatch.setattr(os, "umask", lambda *_: pytest.fail("os.umask is process-wide: never call it"))
        target = atomic_write(tmp_path / "sub" / "a.json", "{}\n")
        assert target.read_bytes() == b"{}\n" and (target.stat().st_mode & 0o777) == 0o644
        atomic_write(target, b"[]\n")
        assert target.read_bytes() == b"[]\n" and _entries(target.parent) == ["a.json"]
    finally:
        monkeypatch.undo()
        os.umask(previous)


def test_concurrent_writers_use_unique_temporary_names(tmp_path):
    target = tmp_path / "report.json"
    with atomic_path(target) as first, atomic_path(target) as second:
        assert first != second and first.parent == second.parent == tmp_path
        assert first.name.startswith(".report.json.tmp-") and first.suffix == ".json"
        first.write_text("first")
        second.write_text("second")
    assert target.read_text() == "first"  # the outer context finished last
    assert _entries(tmp_path) == ["report.json"]


def test_a_failed_write_leaves_the_old_content_and_no_temporary_file(tmp_path):
    target = atomic_write(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as temp:
        temp.write_text("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old" and _entries(tmp_path) == ["a.txt"]


def test_readers_see_old_or_new_content_under_concurrent_writers(tmp_path):
    target = tmp_path / "weights.bin"
    versions = [bytes([i]) * SIZE for i in range(6)]
    atomic_write(target, versions[0])
    seen, stop = [], threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(target.read_bytes())

    def write(version: bytes) -> None:
        for _ in range(15):
            atomic_write(target, version)

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(v,)) for v in versions[1:]]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    reader.join()
    assert len(seen) > 10
    assert all(content in versions for content in seen)  # never empty, never a mix
    assert target.read_bytes() in versions[1:] and _entries(tmp_path) == ["weights.bin"]


def test_processes_writing_the_same_file_never_publish_a_partial_one(tmp_path):
    target = tmp_path / "out.bin"
    procs = [_python(f"for _ in range(20): atomic.atomic_write({str(target)!r}, bytes([{i}]) * {SIZE})")
             for i in range(1, 5)]
    reads = []
    while any(p.poll() is None for p in procs):
        if target.exists():
            reads.append(target.read_bytes())
        time.sleep(0.002)
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    assert all(len(data) == SIZE and len(set(data)) == 1 for data in reads)
    assert _entries(tmp_path) == ["out.bin"]


def _folder_content(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_staged_folder_replaces_a_folder_whole_with_explicit_modes(tmp_path):
    output = tmp_path / "ckpt"
    with staged_folder(output) as staging:
        (staging / "a").write_text("1")
        (staging / "sub").mkdir()
        (staging / "sub" / "b").write_text("2")
    with staged_folder(output) as staging:
        (staging / "a").write_text("new")
    assert _folder_content(output) == {"a": "new"} and _entries(tmp_path) == ["ckpt"]
    assert (output.stat().st_mode & 0o777) == 0o755 and ((output / "a").stat().st_mode & 0o777) == 0o644


def test_an_exception_inside_leaves_the_old_folder_and_no_leftover(tmp_path):
    output = tmp_path / "ckpt"
    with staged_folder(output) as staging:
        (staging / "a").write_text("old")
    with pytest.raises(KeyboardInterrupt), staged_folder(output) as staging:
        (staging / "a").write_text("half")
        raise KeyboardInterrupt
    assert _folder_content(output) == {"a": "old"} and _entries(tmp_path) == ["ckpt"]


def _run_killed(script: str) -> None:
    """Run ``script`` in a child process that dies without cleaning up (os._exit)."""
    _python(script + "\nos._exit(9)\n").wait()


def test_a_kill_between_the_two_renames_is_repaired_by_the_next_run(tmp_path):
    output = tmp_path / "ckpt"
    with staged_folder(output) as staging:
        (staging / "a").write_text("old")
    # The writer dies after moving the old folder aside, before moving its new one in.
    _run_killed(
        f"output = Path({str(output)!r})\n"
        "staging = atomic._new_staging(output)\n"
        "(staging / 'a').write_text('new')\n"
        "atomic._finalize(staging)\n"
        "atomic._move_aside(output)\n"
    )
    left = _entries(tmp_path)
    assert "ckpt" not in left and len(left) == 2
    assert any(".ckpt.old-" in n for n in left) and any(".ckpt.staging-" in n for n in left)
    # The next run (here: recover, which every staged_folder starts with) puts the old copy back.
    recover(output)
    assert _folder_content(output) == {"a": "old"} and _entries(tmp_path) == ["ckpt"]


def test_the_next_staged_folder_removes_a_killed_runs_staging_and_completes(tmp_path):
    output = tmp_path / "ckpt"
    _run_killed(  # killed half-way through writing: a partial staging folder, no output yet
        f"output = Path({str(output)!r})\n"
        "output.parent.mkdir(parents=True, exist_ok=True)\n"
        "staging = atomic._new_staging(output)\n"
        "(staging / 'model.safetensors').write_bytes(b'x' * 1000)\n"
    )
    assert len(_entries(tmp_path)) == 1 and _entries(tmp_path)[0].startswith(".ckpt.staging-")
    with staged_folder(output) as staging:
        (staging / "a").write_text("complete")
    assert _folder_content(output) == {"a": "complete"} and _entries(tmp_path) == ["ckpt"]


def test_leftovers_of_live_writers_are_kept_and_old_foreign_ones_removed(tmp_path):
    output = tmp_path / "ckpt"
    mine = atomic._new_staging(output)  # this process is alive: another thread may be writing it
    foreign_old = tmp_path / ".ckpt.staging-otherhost-123-abcd"
    foreign_new = tmp_path / ".ckpt.staging-otherhost-124-abcd"
    for folder in (foreign_old, foreign_new):
        folder.mkdir()
        (folder / "f").write_text("x")
    past = time.time() - STALE_AFTER_S - 60
    os.utime(foreign_old / "f", (past, past))
    os.utime(foreign_old, (past, past))
    assert recover(output) == [foreign_old]
    assert sorted(_entries(tmp_path)) == sorted([mine.name, foreign_new.name])
    unrelated = tmp_path / ".ckpt2.staging-otherhost-1-abcd"  # another target's leftover
    unrelated.mkdir()
    os.utime(unrelated, (past, past))
    recover(output)
    assert unrelated.exists()


def test_concurrent_staged_folders_of_one_output_end_complete(tmp_path):
    output = tmp_path / "ckpt"
    errors = []

    def write(i: int) -> None:
        try:
            for _ in range(5):
                with staged_folder(output) as staging:
                    (staging / "a").write_text(str(i) * 1000)
                    (staging / "b").write_text(str(i) * 1000)
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    content = _folder_content(output)
    assert set(content) == {"a", "b"} and content["a"] == content["b"] and len(set(content["a"])) == 1
    assert _entries(tmp_path) == ["ckpt"]
