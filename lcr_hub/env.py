"""`lcr-hub env`: what this machine has, for bug reports and provenance."""

from __future__ import annotations

import torch

from ._modules.paths import checkpoints_root
from ._modules.provenance import package_versions
from .constants import CONFIG_NAME, DEFAULT_ENCODER_ID, DEFAULT_ENCODER_REVISION
from .errors import LCRHubError


def environment_report() -> dict:
    """Versions, devices, and where the embedded checkpoints and encoder are.

    Returns:
        ``{"versions", "devices", "checkpoints", "encoder"}`` (JSON-serialisable).
    """
    devices = {
        "cuda_available": torch.cuda.is_available(),
        "cuda_version": torch.version.cuda,
        "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
        "mps_available": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()),
        "cpu_threads": torch.get_num_threads(),
    }
    root = checkpoints_root()
    checkpoints = {name: str(root / name) if (root / name / CONFIG_NAME).is_file() else None for name in ("detector", "classifier")}
    encoder: dict = {"id": DEFAULT_ENCODER_ID, "revision": DEFAULT_ENCODER_REVISION}
    try:
        from .features import resolve_encoder

        encoder["path"], _ = resolve_encoder(DEFAULT_ENCODER_ID, DEFAULT_ENCODER_REVISION)
        encoder["verified"] = True
    except LCRHubError as error:
        encoder["path"], encoder["verified"], encoder["error"] = None, False, str(error)
    return {"versions": package_versions(), "devices": devices, "checkpoints": checkpoints, "encoder": encoder}


def format_environment(report: dict) -> str:
    """A readable rendering of :func:`environment_report`."""
    lines = ["versions:"]
    lines += [f"  {name:<16} {version or 'not installed'}" for name, version in report["versions"].items()]
    d = report["devices"]
    lines += [
        "devices:",
        f"  cuda             {'yes' if d['cuda_available'] else 'no'} (CUDA {d['cuda_version'] or '-'})"
        + (f": {', '.join(d['cuda_devices'])}" if d["cuda_devices"] else ""),
        f"  mps              {'yes' if d['mps_available'] else 'no'}",
        f"  cpu threads      {d['cpu_threads']}",
        "embedded checkpoints:",
    ]
    lines += [f"  {name:<16} {path or 'missing'}" for name, path in report["checkpoints"].items()]
    e = report["encoder"]
    lines += [
        "embedded encoder:",
        f"  {e['id']} ({e['revision'][:19]}...)",
        f"  {e['path'] or 'missing'}" + (" (sha256 verified)" if e["verified"] else f": {e.get('error')}"),
    ]
    return "\n".join(lines)
