#!/usr/bin/env python
"""The cost of sha256 verification, measured side by side in one run.

1. Hashing throughput of ``lcr_hub.encoding.features.sha256_file`` against ``sha256sum`` on the same
   1 GB temporary file (rounds alternate; best of each; page cache warm for both).
   Target: ratio >= 0.9.
2. ``from_pretrained`` of the embedded detector and classifier in their published form
   (``prepare_release_folder``: weights, card, remote code, ``checksums.sha256``):
   lcr_hub's verified load (every file checked against the manifest, strict weight checks)
   against transformers' own ``PreTrainedModel.from_pretrained`` of the same folder, which
   checks nothing. Two verified loads are timed: "files hashed" (cold: the stamp cache is
   emptied before each load, so every byte is hashed) and "stamps match" (warm: the files'
   verification stamps are current, so no file is read for its digest). Target: the warm
   ratio <= 1.10.

The benchmark uses a temporary stamp cache (``LCR_HUB_CACHE``), never the user's.

    python benchmarks/bench_verify.py [--size-mb 1024] [--rounds 5] [--loads 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import torch
from transformers import PreTrainedModel

from lcr_hub import LCRClassifier, LCRDetector
from lcr_hub._hashing import stamps_dir
from lcr_hub.constants import CACHE_ENV, STAMP_RACY_NS
from lcr_hub.checkpoint import default_checkpoint
from lcr_hub._hashing import sha256_file
from lcr_hub.hub.publish import prepare_release_folder


def best_time(fn, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_hash(size_mb: int, rounds: int, tmp: Path) -> None:
    path = tmp / "blob.bin"
    chunk = os.urandom(8 << 20)
    with open(path, "wb") as handle:
        for _ in range(size_mb // 8):
            handle.write(chunk)
    size = path.stat().st_size
    ours, theirs = float("inf"), float("inf")
    expected = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]
    for _ in range(rounds):  # alternate so that both see the same machine state
        start = time.perf_counter()
        subprocess.run(["sha256sum", str(path)], capture_output=True, check=True)
        theirs = min(theirs, time.perf_counter() - start)
        start = time.perf_counter()
        digest = sha256_file(path)
        ours = min(ours, time.perf_counter() - start)
    assert digest == expected, "sha256_file disagrees with sha256sum"
    mb = size / 1e6
    print(f"sha256 of {mb:,.0f} MB: sha256sum {mb / theirs:,.0f} MB/s, lcr_hub.sha256_file {mb / ours:,.0f} MB/s, "
          f"ratio {theirs / ours:.3f} (target >= 0.9)")
    path.unlink()


def bench_load(loads: int, tmp: Path) -> None:
    torch.set_num_threads(1)
    components = (("detector", LCRDetector), ("classifier", LCRClassifier))
    for component, _ in components:
        prepare_release_folder(default_checkpoint(component), tmp / component)
    # Racy rule: a stamp is recorded only for a file whose ctime is >= 2 s old (a write in the
    # same timestamp tick as the hash would go unnoticed), so let the prepared files age first.
    time.sleep(STAMP_RACY_NS / 1e9 + 0.1)
    stamps = stamps_dir()

    def clear_stamps() -> None:
        shutil.rmtree(stamps, ignore_errors=True)

    for component, cls in components:
        folder = tmp / component
        verified = lambda: cls.from_pretrained(folder)  # noqa: E731
        unverified = lambda: PreTrainedModel.from_pretrained.__func__(cls, folder)  # noqa: E731
        verified(), unverified()  # warm-up (imports, page cache); records the stamps
        t_cold, t_warm, t_unverified = float("inf"), float("inf"), float("inf")
        for _ in range(loads):  # alternate
            t_unverified = min(t_unverified, best_time(unverified, 1))
            t_warm = min(t_warm, best_time(verified, 1))  # stamps present (recorded by the previous load)
            clear_stamps()
            t_cold = min(t_cold, best_time(verified, 1))  # no stamp: every byte hashed (and stamped again)
        assert any(stamps.iterdir()), "no stamp was recorded"
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"from_pretrained {component} ({size:.2f} MB, {len(list(folder.iterdir()))} files): transformers "
              f"{t_unverified * 1e3:.1f} ms")
        print(f"  lcr_hub verified, files hashed: {t_cold * 1e3:.1f} ms, ratio {t_cold / t_unverified:.3f}")
        print(f"  lcr_hub verified, stamps match: {t_warm * 1e3:.1f} ms, ratio {t_warm / t_unverified:.3f} "
              "(target <= 1.10)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="Size of the hashed file (default 1024 MB).")
    parser.add_argument("--rounds", type=int, default=5, help="Hash rounds per side (default 5).")
    parser.add_argument("--loads", type=int, default=30, help="Loads per side (default 30).")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    os.environ[CACHE_ENV] = str(tmp / "lcr_hub_cache")  # a stamp cache of its own, removed at the end
    try:
        bench_hash(args.size_mb, args.rounds, tmp)
        bench_load(args.loads, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
