#!/usr/bin/env python
"""Detector training step: float32 against bfloat16 autocast, with the CPU's own kernels and pinned to AVX2.

One training step (forward and backward) of the embedded detector's head (documents pooling,
one mixing block of MiniLM's shape) on random states of ``--batch`` rows x ``--tokens`` tokens,
timed in float32 and in bfloat16 autocast, best of ``--rounds``. Each setting runs in a fresh
process, because torch, MKL and oneDNN read the kernel variables when they start: once as the
machine is, once with ``ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2,STRICT ONEDNN_MAX_CPU_ISA=AVX2``
(the recipe of a release meant to rebuild on other CPUs, docs/training.md). Prints each time
and the ratios to float32 on the same machine's own kernels. Detector training runs float32
(lcr_hub/training/heads.py) because of what this measured.

    python benchmarks/bench_mixer_precision.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PINNED = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2,STRICT", "ONEDNN_MAX_CPU_ISA": "AVX2"}

_CHILD = """
import json, sys, time, torch
from lcr_hub.models import LCRDetector, LCRDetectorConfig
batch, tokens, rounds = (int(a) for a in sys.argv[1:4])
torch.manual_seed(0)
model = LCRDetector(LCRDetectorConfig(hidden_size=384, pooling="documents", mixing_layers=1, num_attention_heads=12,
                                      mixing_intermediate_size=1536, layer_norm_eps=1e-12, layer_index=3))
x, mask = torch.randn(batch, tokens, 384), torch.ones(batch, tokens)
documents, labels = torch.randint(0, 4, (batch, tokens)), torch.randint(0, 2, (batch,)).float()
times = {}
for name, bf16 in (("float32", False), ("bfloat16 autocast", True)):
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(hidden_states=x, attention_mask=mask, document_mask=documents, labels=labels)
        out.loss.backward()
        best = min(best, time.perf_counter() - start)
    times[name] = best
print("RESULT " + json.dumps({"capability": torch.backends.cpu.get_cpu_capability(), "times": times}))
"""


def run(env_extra: dict[str, str], args: argparse.Namespace) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in PINNED}
    env.update(env_extra, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(args.batch), str(args.tokens), str(args.rounds)],
                         env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = {"own kernels": run({}, args), "pinned to AVX2": run(PINNED, args)}
    reference = results["own kernels"]["times"]["float32"]
    for setting, result in results.items():
        for name, seconds in result["times"].items():
            print(f"{setting:15} ({result['capability']:6}) {name:18} {seconds:7.3f} s  "
                  f"x{seconds / reference:5.2f} of float32 on own kernels")


if __name__ == "__main__":
    main()
