"""What produced a result: versions, hardware, command line, git commit, file digests."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Iterable

import torch

from .._hashing import sha256_file

#: Environment variables that choose which CPU kernels torch, MKL and oneDNN run, read when the
#: process starts. Each changes the numbers (measured: a 3-epoch classifier run gives other weights
#: with any one of them set to AVX2 on an AVX-512 machine), so training records the ones that are
#: set and ``lcr-hub rebuild`` sets them again. With all three pinned to AVX2, a CPU's own
#: instruction set no longer picks the kernels (see docs/training.md).
NUMERICS_ENV = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA")

PACKAGES = ("torch", "transformers", "huggingface_hub", "datasets", "accelerate", "safetensors", "tokenizers", "numpy", "scikit-learn")


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages LCR results depend on (None when absent)."""
    versions: dict[str, str | None] = {"python": platform.python_version(), "lcr_hub": _version("lcr-hub")}
    for name in PACKAGES:
        versions[name] = _version(name)
    return versions


def _version(name: str) -> str | None:
    try:
        return importlib_metadata.version(name)
    except importlib_metadata.PackageNotFoundError:
        return None


def framework() -> dict[str, str | None]:
    """Versions keyed as in the original release's metadata: ``pytorch_version``, ``transformers_version``..."""
    renamed = {"torch": "pytorch", "scikit-learn": "sklearn"}
    return {f"{renamed.get(name, name)}_version": version for name, version in package_versions().items()}


def hardware(device: str | torch.device = "cpu") -> dict[str, object]:
    """The kind of machine a result was produced on: what can change its numbers, nothing that names one host.

    ``platform`` is the operating system, architecture and C library (``Linux-x86_64-glibc2.36``),
    not :func:`platform.platform`: its kernel build string, like the CPU count, differs between
    two machines of one kind and would make a rebuild's ``training_metadata.json`` differ although
    every tensor is the same. ``cpu_capability`` is the instruction set torch's CPU kernels use
    (``AVX512``, ``AVX2``...) and ``numerics_env`` the :data:`NUMERICS_ENV` variables that are set.
    """
    device = torch.device(device)
    libc = "".join(platform.libc_ver())
    info: dict[str, object] = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or platform.machine()),
        "platform": "-".join(part for part in (platform.system(), platform.machine(), libc) if part),
        "torch_num_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "numerics_env": {name: value for name in NUMERICS_ENV if (value := os.environ.get(name))},
        "cuda_available": torch.cuda.is_available(),
        "cuda_version": torch.version.cuda,
    }
    return info


def command_line() -> str:
    """The command that is running, as a shell-quoted string."""
    argv = list(sys.argv)
    if argv and argv[0].endswith("__main__.py") and Path(argv[0]).parent.name != "lcr_hub":
        # `python -m lcr_hub.training ...`: record the module, so that the command can be run again.
        argv[0:1] = ["python", "-m", f"lcr_hub.{Path(argv[0]).parent.name}"]
    elif argv and argv[0].endswith(("lcr-hub", "__main__.py")):
        argv[0] = "lcr-hub"
    elif argv and argv[0].endswith(".py"):
        argv.insert(0, "python")
    return shlex.join(argv)


def git_commit(path: str | os.PathLike | None = None) -> str | None:
    """The commit of the git checkout holding ``path`` (this package by default), if any."""
    where = Path(path) if path else Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def file_digests(paths: Iterable[str | os.PathLike], relative_to: str | os.PathLike | None = None) -> list[dict[str, object]]:
    """``[{"path", "sha256", "size"}]`` for each file, paths relative to ``relative_to`` when given."""
    out = []
    for p in paths:
        p = Path(p)
        shown = os.path.relpath(p, relative_to) if relative_to else str(p)
        out.append({"path": shown, "sha256": sha256_file(p), "size": p.stat().st_size})
    return out
