#!/usr/bin/env python
"""Start-up cost of lcr_hub against its dependencies, measured in one run, in fresh interpreters.

Each case is timed as the wall time of a new ``python`` process (interpreter start included),
the cases interleaved round by round so that a change in machine load hits all of them alike;
the median of the rounds is reported.

1. ``import torch, transformers``: the reference (transformers' top level is lazy).
2. ``import torch; from transformers import AutoConfig, AutoModel, PreTrainedModel``: what
   registering real model classes with ``AutoModel`` costs at the least (``PreTrainedModel``
   imports ``transformers.modeling_utils``, which imports accelerate, torch.distributed and
   torch._dynamo); shown to explain case 3, no target.
3. ``import lcr_hub``: registers the LCR classes and injects the verified loader.
   Target: <= 1.2x case 1.
4. ``lcr-hub --help`` through the console script's module (``lcr_hub_cli``).
   Target: <= 0.6 s.
5. ``hf --help``: huggingface_hub's CLI, for comparison.

Run from the repository root (the checkout's lcr_hub and lcr_hub_cli are imported):

    python benchmarks/bench_startup.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMPORT_RATIO_TARGET = 1.2  # import lcr_hub / import torch, transformers
HELP_SECONDS_TARGET = 0.6  # lcr-hub --help

CASES: dict[str, list[str]] = {
    "import torch, transformers": [sys.executable, "-c", "import torch, transformers"],
    "import torch + PreTrainedModel": [
        sys.executable, "-c", "import torch; from transformers import AutoConfig, AutoModel, PreTrainedModel"],
    "import lcr_hub": [sys.executable, "-c", "import lcr_hub"],
    "lcr-hub --help": [sys.executable, "-c", "import sys; from lcr_hub_cli import main; sys.argv[0] = 'lcr-hub'; main()",
                       "--help"],
}


def _time(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="Fresh processes per case (default 7).")
    args = parser.parse_args()

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_UPDATE_CHECK": "1"}
    cases = dict(CASES)
    hf = shutil.which("hf")
    if hf:
        cases["hf --help"] = [hf, "--help"]
    for command in cases.values():  # warm the page cache and the bytecode caches once
        _time(command, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, command in cases.items():
            times[name].append(_time(command, env))
    median = {name: statistics.median(values) for name, values in times.items()}

    print(f"median of {args.rounds} fresh processes each (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    for name, value in median.items():
        print(f"  {name:<32} {value:6.2f} s   (min {min(times[name]):.2f}, max {max(times[name]):.2f})")
    ratio = median["import lcr_hub"] / median["import torch, transformers"]
    floor = median["import torch + PreTrainedModel"] / median["import torch, transformers"]
    print(f"import lcr_hub / import torch, transformers = {ratio:.2f}x (target <= {IMPORT_RATIO_TARGET}x: "
          f"{'met' if ratio <= IMPORT_RATIO_TARGET else 'NOT met'}; "
          f"registering real classes needs PreTrainedModel: {floor:.2f}x)")
    help_time = median["lcr-hub --help"]
    print(f"lcr-hub --help = {help_time:.2f} s (target <= {HELP_SECONDS_TARGET} s: "
          f"{'met' if help_time <= HELP_SECONDS_TARGET else 'NOT met'})")
    if hf:
        print(f"lcr-hub --help / hf --help = {help_time / median['hf --help']:.2f}x")


if __name__ == "__main__":
    main()
