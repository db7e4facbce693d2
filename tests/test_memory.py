"""lcr_hub._modules.memory: the heap's free pages go back to the system between detect's batches."""

from __future__ import annotations

import platform

import pytest

from lcr_hub._modules.memory import release_free_heap

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's; elsewhere release_free_heap is a no-op")
def test_release_returns_the_holes_of_a_fragmented_heap():
    # 1,600 blocks of 64 KiB (under glibc's mmap threshold: carved from the heap), then every
    # other one freed: 50 MiB of holes between live blocks, which free() cannot give back.
    blocks = [bytearray(64 * 1024) for _ in range(1600)]
    del blocks[::2]
    before = _rss_mib()
    assert release_free_heap() is True
    assert before - _rss_mib() > 25, "malloc_trim(0) should return most of the 50 MiB of holes"
    assert len(blocks) == 800  # the live half is untouched


def test_release_is_a_no_op_without_glibc(monkeypatch):
    from lcr_hub._modules import memory

    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)
    assert memory.release_free_heap() is False
