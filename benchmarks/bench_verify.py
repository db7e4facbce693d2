#!/usr/bin/env python
"""The cost of sha256 verification, measured side by side in one run.

1. Hashing throughput of ``lcr_hub.features.sha256_file`` against ``sha256sum`` on the same
   1 GB temporary file (rounds alternate; best of each; page cache warm for both).
   Target: ratio >= 0.9.
2. ``from_pretrained`` of the embedded detector and classifier in their published form
   (``prepare_release_folder``: weights, card, remote code, ``checksums.sha256``):
   lcr_hub's verified load (every file re-hashed against the manifest, strict weight
   checks) against transformers' own ``PreTrainedModel.from_pretrained`` of the same
   folder, which checks nothing. Target: ratio <= 1.10.

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
from lcr_hub._modules.paths import default_checkpoint
from lcr_hub.features import sha256_file
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
    for component, cls in (("detector", LCRDetector), ("classifier", LCRClassifier)):
        folder = tmp / component
        prepare_release_folder(default_checkpoint(component), folder)
        verified = lambda: cls.from_pretrained(folder)  # noqa: E731
        unverified = lambda: PreTrainedModel.from_pretrained.__func__(cls, folder)  # noqa: E731
        verified(), unverified()  # warm-up (imports, page cache)
        t_verified, t_unverified = float("inf"), float("inf")
        for _ in range(loads):  # alternate
            t_unverified = min(t_unverified, best_time(unverified, 1))
            t_verified = min(t_verified, best_time(verified, 1))
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"from_pretrained {component} ({size:.2f} MB, {len(list(folder.iterdir()))} files): transformers "
              f"{t_unverified * 1e3:.1f} ms, lcr_hub verified {t_verified * 1e3:.1f} ms, "
              f"ratio {t_verified / t_unverified:.3f} (target <= 1.10)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="Size of the hashed file (default 1024 MB).")
    parser.add_argument("--rounds", type=int, default=5, help="Hash rounds per side (default 5).")
    parser.add_argument("--loads", type=int, default=30, help="Loads per side (default 30).")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    try:
        bench_hash(args.size_mb, args.rounds, tmp)
        bench_load(args.loads, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
