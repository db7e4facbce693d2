"""`lcr-hub env`: what this machine has, for bug reports and provenance, and whether it can run LCR.

The compatibility checks replace the original release's gatekeeping ("CUDA 11.8+, exact
versions") with what lcr_hub actually needs: a supported Python, the package's own
requirements, the requested device, the requested dtype working on it, the base encoder and
checkpoint files whose sha256 verifies. A GPU is never required.
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass
from importlib import metadata as importlib_metadata
from typing import Callable, Mapping

import torch
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from .checkpoint import checkpoints_root
from ._modules.provenance import package_versions
from .constants import CONFIG_NAME, DEFAULT_ENCODER_ID, DEFAULT_ENCODER_REVISION
from .errors import ConfigError, LCRHubError


@dataclass(frozen=True)
class EnvironmentCheck:
    """One compatibility check.

    Args:
        name: What was checked (``python``, ``package torch``, ``device cpu``,
            ``dtype float16``, ``encoder``, ``checkpoint detector``).
        ok: Whether it passed.
        detail: What was found (and, on failure, how to fix it).
    """

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class EnvironmentReport:
    """The compatibility checks of this machine for a device and dtype.

    Args:
        device: The device checked (``auto`` already resolved).
        dtype: The dtype checked (``float32``, ``float16``, ``bfloat16``).
        checks: Every check, in order.
    """

    device: str
    dtype: str
    checks: tuple[EnvironmentCheck, ...]

    @property
    def fully_compatible(self) -> bool:
        """True when every check passed."""
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[EnvironmentCheck]:
        """The checks that failed."""
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict:
        """JSON-serialisable form (``fully_compatible`` included)."""
        return {"device": self.device, "dtype": self.dtype, "fully_compatible": self.fully_compatible,
                "checks": [asdict(c) for c in self.checks]}

    def format(self) -> str:
        """The lines `lcr-hub env` prints for these checks."""
        verdict = "fully compatible" if self.fully_compatible else f"NOT compatible ({len(self.failures)} failed)"
        lines = [f"compatibility (device {self.device}, {self.dtype}): {verdict}"]
        lines += [f"  {'ok' if c.ok else 'FAILED':<7} {c.name:<28} {c.detail}" for c in self.checks]
        return "\n".join(lines)


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` -> ``cuda:0`` when CUDA is available, else ``cpu``; anything else as given.

    Raises:
        ConfigError: ``device`` is not a torch device string.

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    if str(device) == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ConfigError(f"device {device!r} is not a torch device ('cpu', 'cuda:0', 'auto'...): {error}") from None


def _device_check(device: torch.device) -> EnvironmentCheck:
    name = f"device {device}"
    if device.type == "cpu":
        return EnvironmentCheck(name, True, f"{torch.get_num_threads()} threads (no GPU needed)")
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = device.index or 0
        if index < count:
            return EnvironmentCheck(name, True, f"{torch.cuda.get_device_name(index)} (CUDA {torch.version.cuda})")
        return EnvironmentCheck(name, False, f"{count} CUDA device(s) visible to torch {torch.__version__} "
                                             f"(CUDA build: {torch.version.cuda or 'none'}); use device='cpu' or 'auto'")
    if device.type == "mps":
        ok = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
        return EnvironmentCheck(name, ok, "available" if ok else "MPS is not available; use device='cpu' or 'auto'")
    return EnvironmentCheck(name, False, f"lcr_hub runs on cpu, cuda or mps, not {device.type}")


def _dtype_check(device: torch.device, dtype: str) -> EnvironmentCheck:
    """Run the operations the LCR heads use (matmul, layer norm, softmax) in ``dtype`` on ``device``."""
    name = f"dtype {dtype}"
    try:
        x = torch.randn(4, 8, generator=torch.Generator().manual_seed(0)).to(device=device, dtype=getattr(torch, dtype))
        y = torch.softmax(torch.nn.functional.layer_norm(x @ x.T, (4,)), dim=-1).float().cpu()
    except (RuntimeError, TypeError, AttributeError) as error:
        return EnvironmentCheck(name, False, f"{type(error).__name__}: {error}; use precision 'fp32'")
    if not torch.allclose(y.sum(-1), torch.ones(4), atol=2e-2):
        return EnvironmentCheck(name, False, f"softmax rows sum to {y.sum(-1).tolist()} on {device}; use precision 'fp32'")
    return EnvironmentCheck(name, True, f"matmul, layer_norm and softmax run on {device}")


def _package_checks() -> list[EnvironmentCheck]:
    """Python and every requirement of the installed lcr-hub distribution."""
    try:
        dist = importlib_metadata.distribution("lcr-hub")
    except importlib_metadata.PackageNotFoundError:
        return [EnvironmentCheck("package lcr-hub", False, "not installed; run `pip install -e .` in the repository")]
    python = platform.python_version()
    needed = SpecifierSet(dist.metadata.get("Requires-Python") or "")
    checks = [EnvironmentCheck("python", python in needed, f"{python} (lcr-hub requires {needed or 'any'})")]
    for line in dist.requires or []:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # an optional extra such as [test]
        name = f"package {requirement.name}"
        try:
            version = importlib_metadata.version(requirement.name)
        except importlib_metadata.PackageNotFoundError:
            checks.append(EnvironmentCheck(name, False, f"not installed (lcr-hub requires {requirement}); "
                                                        "reinstall with `pip install -e .`"))
            continue
        ok = requirement.specifier.contains(version, prereleases=True)
        checks.append(EnvironmentCheck(name, ok, f"{version}" + ("" if ok else f"; lcr-hub requires {requirement}")))
    return checks


def _encoder_check() -> EnvironmentCheck:
    from .encoding.features import resolve_encoder

    try:
        path, _ = resolve_encoder(DEFAULT_ENCODER_ID, DEFAULT_ENCODER_REVISION)
    except LCRHubError as error:
        return EnvironmentCheck("encoder", False, str(error))
    return EnvironmentCheck("encoder", True, f"{DEFAULT_ENCODER_ID} at {path} (sha256 verified)")


def _embedded_checkpoint_checks() -> dict[str, Callable[[], str]]:
    """Checks of the embedded detector and classifier: present, and their weights' sha256 as recorded."""
    from .checkpoint import default_checkpoint
    from .hub.loading import verify_local_checkpoint

    def check(component: str) -> Callable[[], str]:
        def run() -> str:
            folder = default_checkpoint(component)
            return describe_verified(folder, verify_local_checkpoint(folder))
        return run

    return {component: check(component) for component in ("detector", "classifier")}


def describe_verified(folder, checks) -> str:
    """``"<folder>: sha256 verified (model.safetensors, ...)"`` for a check's detail."""
    return f"{folder}: sha256 verified ({', '.join(c.name for c in checks)})"


def compatibility_report(
    device: str | torch.device = "cpu",
    dtype: str = "float32",
    checkpoints: Mapping[str, Callable[[], str]] | None = None,
) -> EnvironmentReport:
    """Check that this machine can run LCR on ``device`` in ``dtype``.

    Args:
        device: ``cpu``, ``cuda:0``, ``mps`` or ``auto``.
        dtype: ``float32``, ``float16`` or ``bfloat16``.
        checkpoints: Component -> a function that locates and verifies its files, returning a
            description and raising an :class:`~lcr_hub.errors.LCRHubError` when they are
            missing or differ (default: the embedded detector and classifier).

    Returns:
        The report; ``fully_compatible`` is True when every check passed.

    Example:
        >>> report = compatibility_report("cpu", "float32")
        >>> report.fully_compatible
        True
    """
    resolved = resolve_device(device)
    checks = [*_package_checks(), _device_check(resolved)]
    checks.append(_dtype_check(resolved, dtype) if checks[-1].ok else EnvironmentCheck(
        f"dtype {dtype}", False, f"not checked: device {resolved} is unavailable"))
    checks.append(_encoder_check())
    for component, verify in (_embedded_checkpoint_checks() if checkpoints is None else checkpoints).items():
        try:
            checks.append(EnvironmentCheck(f"checkpoint {component}", True, verify()))
        except LCRHubError as error:
            checks.append(EnvironmentCheck(f"checkpoint {component}", False, str(error)))
    return EnvironmentReport(device=str(resolved), dtype=dtype, checks=tuple(checks))


def environment_report(device: str = "cpu", dtype: str = "float32") -> dict:
    """Versions, devices, where the embedded checkpoints and encoder are, and the compatibility checks.

    Args:
        device: The device the compatibility checks are for.
        dtype: The dtype they are for.

    Returns:
        ``{"versions", "devices", "checkpoints", "encoder", "compatibility"}`` (JSON-serialisable).
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
        from .encoding.features import resolve_encoder

        encoder["path"], _ = resolve_encoder(DEFAULT_ENCODER_ID, DEFAULT_ENCODER_REVISION)
        encoder["verified"] = True
    except LCRHubError as error:
        encoder["path"], encoder["verified"], encoder["error"] = None, False, str(error)
    return {"versions": package_versions(), "devices": devices, "checkpoints": checkpoints, "encoder": encoder,
            "compatibility": compatibility_report(device, dtype).to_dict()}


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
    c = report["compatibility"]
    checks = tuple(EnvironmentCheck(**check) for check in c["checks"])
    lines.append(EnvironmentReport(device=c["device"], dtype=c["dtype"], checks=checks).format())
    return "\n".join(lines)
