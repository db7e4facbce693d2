"""Adversarial checks: a hostile mirror on every documented load path, a concurrent rewrite race,
malformed safetensors headers and configs whose sizes disagree with the weights.

The mirror (``tests/loopback_hub.HostileMirror``) sits in front of the loopback olah server and
serves other bytes for chosen files, keeping the upstream ETag and ``X-Repo-Commit`` (as a
lying mirror would). Each load path runs against a fresh Hugging Face cache; afterwards no
file of the cache may hold tampered bytes and every cached file of a pinned release must match
the registry.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import shutil
import threading
import time
import types
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch
from safetensors.torch import load as load_safetensors

import lcr_hub
from lcr_hub import LCRDetector
from lcr_hub.checkpoint import default_checkpoint
from lcr_hub.constants import CHECKSUMS_NAME, CONFIG_NAME, DEFAULT_REPO_ID, WEIGHTS_NAME
from lcr_hub.errors import (
    CheckpointError,
    ConfigError,
    IncompatibleEnvironmentError,
    IntegrityError,
    UnpinnedRevisionError,
    UnpinnedRevisionWarning,
)
from lcr_hub.hub import get_variant, load_variant, verified_snapshot
from lcr_hub.hub.publish import prepare_release_folder
from lcr_hub.hub.registry import find_release

DETECTOR = "detector/minilm"


# --------------------------------------------------------------------------- helpers


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tampered_tensors(data: bytes) -> bytes:
    """The same safetensors file (same header, same size) with every tensor changed (lowest bit flipped)."""
    start = 8 + int.from_bytes(data[:8], "little")
    other = data[:start] + (np.frombuffer(data, dtype=np.uint8, offset=start) ^ 1).tobytes()
    assert len(other) == len(data) and load_safetensors(other).keys() == load_safetensors(data).keys()
    return other


def bert_files(tmp: Path) -> tuple[bytes, bytes]:
    """config.json and model.safetensors of a tiny BertModel: the other-model_type attack."""
    from transformers import BertConfig, BertModel

    config = BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37, vocab_size=99)
    BertModel(config).save_pretrained(tmp)
    return (tmp / CONFIG_NAME).read_bytes(), (tmp / WEIGHTS_NAME).read_bytes()


def cache_problems(cache: Path, bad_digests: set[str]) -> list[str]:
    """Files of the cache that hold tampered bytes, or that differ from their pinned release."""
    problems = []
    for path in sorted(cache.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if sha256(path.read_bytes()) in bad_digests:
            problems.append(f"tampered bytes left at {path}")
    for path in sorted(cache.glob("models--*/snapshots/*/**/*")):
        if not path.is_file():
            continue
        commit = path.relative_to(cache).parts[2]
        sub, _, name = path.relative_to(cache / path.relative_to(cache).parts[0] / "snapshots" / commit).as_posix().rpartition("/")
        release = find_release(DEFAULT_REPO_ID, sub, commit=commit)
        if release is not None and sha256(path.read_bytes()) != release.files[name].sha256:
            problems.append(f"{path} differs from release {release.tag}")
    return problems


def fetch(port: int, commit: str, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", f"/{DEFAULT_REPO_ID}/resolve/{commit}/{path}")
        response = conn.getresponse()
        assert response.status == 200, (path, response.status)
        return response.read()
    finally:
        conn.close()


# --------------------------------------------------------------------------- the mirror


@pytest.fixture(scope="module")
def mirror(loopback_hub):
    from loopback_hub import HostileMirror

    server = HostileMirror(loopback_hub.olah.port)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def originals(loopback_hub) -> dict[str, bytes]:
    """The released detector's config.json, weights and manifest as olah serves them."""
    variant = get_variant(DETECTOR)
    return {name: fetch(loopback_hub.olah.port, variant.commit, f"{DETECTOR}/{name}")
            for name in (CONFIG_NAME, WEIGHTS_NAME, CHECKSUMS_NAME)}


@pytest.fixture
def mirror_env(hub_env, mirror, monkeypatch, tmp_path):
    """Point the Hub at the mirror; ``fresh_cache()`` switches to a new empty cache and returns it."""
    from huggingface_hub import constants
    from transformers import dynamic_module_utils

    hub_env(endpoint=mirror.url)
    monkeypatch.setattr(dynamic_module_utils, "HF_MODULES_CACHE", str(tmp_path / "modules"))
    counter = iter(range(1000))

    def fresh_cache() -> Path:
        cache = tmp_path / f"cache-{next(counter)}"
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
        return cache

    yield fresh_cache
    mirror.clear()


def load_paths(tag: str) -> dict[str, Callable[[], object]]:
    """Every documented way to load the released detector ``tag`` from the Hub."""
    from transformers import AutoModel

    from lcr_hub.compat import LCRModelLoader

    v = get_variant(tag)
    pinned = {"subfolder": v.subfolder, "revision": v.commit}
    return {
        "LCRDetector.from_pretrained": lambda: LCRDetector.from_pretrained(DEFAULT_REPO_ID, **pinned),
        "AutoModel.from_pretrained (sha)": lambda: AutoModel.from_pretrained(DEFAULT_REPO_ID, **pinned),
        "AutoModel.from_pretrained (tag)": lambda: AutoModel.from_pretrained(DEFAULT_REPO_ID, subfolder=v.subfolder,
                                                                             revision=v.tag),
        "AutoModel trust_remote_code": lambda: AutoModel.from_pretrained(DEFAULT_REPO_ID, trust_remote_code=True,
                                                                         **pinned),
        "AutoModel(verified_snapshot)": lambda: AutoModel.from_pretrained(verified_snapshot(DEFAULT_REPO_ID, **pinned)),
        "load_variant": lambda: load_variant(v.tag),
        "LCRModelLoader": lambda: LCRModelLoader(DEFAULT_REPO_ID, calibration_check=False, device="cpu",
                                                 revision=v.commit).load_detector(),
        "LCRPipeline.from_pretrained": lambda: lcr_hub.LCRPipeline.from_pretrained(DEFAULT_REPO_ID,
                                                                                   with_classifier=False, **pinned),
        "LCRSystem.from_pretrained": lambda: lcr_hub.LCRSystem.from_pretrained("unused/base", DEFAULT_REPO_ID,
                                                                               DEFAULT_REPO_ID, **pinned),
    }


def attack(swaps: dict[str, bytes | int], expected: type[Exception], fresh_cache, mirror) -> list[str]:
    """Serve ``swaps`` (file name in the detector folder -> bytes or HTTP status) and try every path.

    Returns:
        One line per failure: a path that returned a model (a bypass), raised another
        error, or left bad bytes in its cache.
    """
    for name, action in swaps.items():
        mirror.swap(f"{DETECTOR}/{name}", action)
    bad = {sha256(action) for action in swaps.values() if isinstance(action, bytes)}
    failures = []
    for label, load in load_paths(get_variant(DETECTOR).tag).items():
        cache = fresh_cache()
        try:
            model = load()
        except expected as error:
            if "Traceback" in str(error):
                failures.append(f"{label}: message holds a traceback: {error}")
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(f"{label}: {type(error).__name__}: {str(error)[:300]}")
        else:
            failures.append(f"{label}: BYPASS, returned {type(model).__name__}")
        failures += [f"{label}: {problem}" for problem in cache_problems(cache, bad)]
    return failures


# --------------------------------------------------------------------------- mirror variants x load paths


@pytest.mark.hub
def test_untampered_mirror_loads_on_every_path(mirror_env, mirror, originals):
    variant = get_variant(DETECTOR)
    paths = load_paths(variant.tag)
    for label in ("LCRDetector.from_pretrained", "AutoModel.from_pretrained (sha)", "AutoModel trust_remote_code",
                  "AutoModel(verified_snapshot)", "load_variant", "LCRModelLoader"):
        mirror_env()
        with warnings.catch_warnings():
            warnings.simplefilter("error", UnpinnedRevisionWarning)
            model = paths[label]()
        assert type(model).__name__ == "LCRDetector", label
        weights = load_safetensors(originals[WEIGHTS_NAME])
        for name, tensor in model.state_dict().items():
            torch.testing.assert_close(tensor.float(), weights[name].float(), msg=f"{label}: {name}")


@pytest.mark.hub
def test_same_size_weights_swap_is_refused_everywhere(mirror_env, mirror, originals):
    swaps = {WEIGHTS_NAME: tampered_tensors(originals[WEIGHTS_NAME])}
    assert attack(swaps, IntegrityError, mirror_env, mirror) == []


@pytest.mark.hub
def test_config_swap_same_model_type_is_refused_everywhere(mirror_env, mirror, originals):
    config = json.loads(originals[CONFIG_NAME])
    config["threshold"] = 0.01 if config.get("threshold") != 0.01 else 0.99
    assert attack({CONFIG_NAME: json.dumps(config, indent=2).encode()}, IntegrityError, mirror_env, mirror) == []


@pytest.mark.hub
def test_config_swap_to_bert_is_refused_before_transformers_parses_it(mirror_env, mirror, tmp_path):
    config, weights = bert_files(tmp_path / "bert")
    assert attack({CONFIG_NAME: config, WEIGHTS_NAME: weights}, IntegrityError, mirror_env, mirror) == []
    mirror.clear()
    assert attack({CONFIG_NAME: config}, IntegrityError, mirror_env, mirror) == []


@pytest.mark.hub
def test_truncated_weights_are_refused_everywhere(mirror_env, mirror, originals):
    swaps = {WEIGHTS_NAME: originals[WEIGHTS_NAME][: len(originals[WEIGHTS_NAME]) // 2]}
    assert attack(swaps, IntegrityError, mirror_env, mirror) == []


@pytest.mark.hub
def test_http_500_is_one_checkpoint_error_everywhere(mirror_env, mirror, monkeypatch):
    from huggingface_hub.utils import _http

    # huggingface_hub retries a 500 five times, waiting 1 + 2 + 4 + 8 + 8 s; the test skips the waits.
    no_wait = types.SimpleNamespace(**{n: getattr(time, n) for n in dir(time) if not n.startswith("_")})
    no_wait.sleep = lambda seconds: None
    monkeypatch.setattr(_http, "time", no_wait)
    assert attack({WEIGHTS_NAME: 500}, CheckpointError, mirror_env, mirror) == []


@pytest.mark.hub
def test_consistent_swap_at_an_unpinned_revision_warns_or_is_refused(mirror_env, mirror, originals):
    """Weights, config and the manifest swapped together at a commit the registry does not pin."""
    from lcr_hub.compat import LCRModelLoader

    unpinned = get_variant("classifier/minilm").commit  # not a detector release
    assert find_release(DEFAULT_REPO_ID, DETECTOR, commit=unpinned) is None
    weights = tampered_tensors(originals[WEIGHTS_NAME])
    config = json.loads(originals[CONFIG_NAME])
    config["threshold"] = 0.01
    config_bytes = json.dumps(config, indent=2).encode()
    manifest = "".join(
        f"{sha256({WEIGHTS_NAME: weights, CONFIG_NAME: config_bytes}.get(name, b'')) if name in (WEIGHTS_NAME, CONFIG_NAME) else digest}  {name}\n"
        for digest, name in (line.split("  ", 1) for line in originals[CHECKSUMS_NAME].decode().splitlines())
    )
    for name, data in ((WEIGHTS_NAME, weights), (CONFIG_NAME, config_bytes), (CHECKSUMS_NAME, manifest.encode())):
        mirror.swap(f"{DETECTOR}/{name}", data, revisions={unpinned})
    mirror_env()
    with pytest.warns(UnpinnedRevisionWarning, match="not independently pinned"):
        LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=unpinned)
    mirror_env()
    with pytest.raises(UnpinnedRevisionError):
        LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=unpinned, require_pinned=True)
    with pytest.raises(UnpinnedRevisionError):
        verified_snapshot(DEFAULT_REPO_ID, DETECTOR, unpinned)
    with pytest.raises((UnpinnedRevisionError, IncompatibleEnvironmentError), match="not independently pinned"):
        LCRModelLoader(DEFAULT_REPO_ID, strict_validation=True, calibration_check=False, device="cpu",
                       revision=unpinned).load_detector()
    # The pinned release is out of the attacker's reach: it loads the released bytes.
    mirror_env()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnpinnedRevisionWarning)
        model = load_variant(DETECTOR)
    released = load_safetensors(originals[WEIGHTS_NAME])
    assert all(torch.equal(t, released[n]) for n, t in model.state_dict().items())


# --------------------------------------------------------------------------- check, then open


@pytest.fixture
def two_versions(tmp_path) -> tuple[Path, bytes, bytes]:
    """A published detector folder (with its manifest) and a same-size rewrite of its weights."""
    folder = tmp_path / "detector"
    prepare_release_folder(default_checkpoint("detector"), folder)
    pinned = (folder / WEIGHTS_NAME).read_bytes()
    return folder, pinned, tampered_tensors(pinned)


def test_rewrite_between_check_and_load_is_refused(two_versions, monkeypatch):
    import lcr_hub.hub.loading as loading

    folder, pinned, other = two_versions
    verify_folder = loading.verify_folder

    def check_then_rewrite(*args, **kwargs):
        checks = verify_folder(*args, **kwargs)  # the folder is checked (all ok) ...
        (folder / WEIGHTS_NAME).write_bytes(other)  # ... and rewritten before it is loaded
        return checks

    monkeypatch.setattr(loading, "verify_folder", check_then_rewrite)
    with pytest.raises(IntegrityError, match=WEIGHTS_NAME):
        LCRDetector.from_pretrained(folder)
    assert (folder / WEIGHTS_NAME).read_bytes() == other  # a local folder is never deleted


def _load_repeatedly(folder: Path, pinned: bytes, count: int, results) -> None:
    """Child process: load ``count`` times; report 'pinned', 'refused' or 'REWRITTEN' for each."""
    reference = load_safetensors(pinned)
    for _ in range(count):
        try:
            model = LCRDetector.from_pretrained(folder)
        except IntegrityError:
            results.put("refused")
        except BaseException as error:  # reported to the parent, which fails the test
            results.put(f"error {error!r}")
        else:
            same = all(torch.equal(t, reference[n]) for n, t in model.state_dict().items())
            results.put("pinned" if same else "REWRITTEN")


def test_concurrent_rewrites_never_load_rewritten_bytes(two_versions):
    """4 processes x 25 loads while the weights file is rewritten in place between two versions.

    Processes, not threads: transformers' from_pretrained enters ``torch.device("meta")``,
    which sets a process-wide default device that concurrent threads can leave behind.
    """
    import multiprocessing

    folder, pinned, other = two_versions
    stop = threading.Event()
    rewrites = [0]

    def rewriter() -> None:
        path = folder / WEIGHTS_NAME
        while not stop.is_set():
            for data in (other, pinned):
                with open(path, "r+b") as handle:  # in place, in two halves: readers can see a mix
                    handle.write(data[: len(data) // 2])
                    handle.flush()
                    handle.write(data[len(data) // 2:])
                rewrites[0] += 1
                stop.wait(0.005 if data is other else 0.03)  # mostly the pinned bytes, now and then others

    ctx = multiprocessing.get_context("spawn")  # fork can inherit a lock held by a thread of this process
    results = ctx.Queue()
    writer = threading.Thread(target=rewriter)
    loaders = [ctx.Process(target=_load_repeatedly, args=(folder, pinned, 25, results)) for _ in range(4)]
    writer.start()
    try:
        for process in loaders:
            process.start()
        outcomes = [results.get(timeout=300) for _ in range(100)]
        for process in loaders:
            process.join(60)
    finally:
        stop.set()
        writer.join()
    counts = {o: outcomes.count(o) for o in set(outcomes)}
    assert set(counts) <= {"pinned", "refused"} and rewrites[0] > 10, counts
    assert sum(counts.values()) == 100


# --------------------------------------------------------------------------- size sanity before allocation


@pytest.fixture
def plain_detector(tmp_path) -> Path:
    """A copy of the embedded detector without a manifest (so its files may be edited)."""
    folder = tmp_path / "plain"
    shutil.copytree(default_checkpoint("detector"), folder)
    (folder / CHECKSUMS_NAME).unlink(missing_ok=True)  # released folders carry one
    return folder


def test_config_with_huge_sizes_is_refused_before_allocation(plain_detector):
    config = json.loads((plain_detector / CONFIG_NAME).read_text())
    config["intermediate_size"] = 2**36  # fc1 alone would need 2**36 * hidden_size floats
    (plain_detector / CONFIG_NAME).write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"does not match .*config.json.*config implies.*Nothing was allocated"):
        LCRDetector.from_pretrained(plain_detector)


@pytest.mark.parametrize(
    ("label", "make"),
    [
        ("enormous header length", lambda data: (2**63).to_bytes(8, "little") + data[8:]),
        ("shorter than 8 bytes", lambda data: data[:5]),
        ("truncated header", lambda data: data[: 8 + int.from_bytes(data[:8], "little") // 2]),
        ("header not JSON", lambda data: data[:8] + b"\xff" * int.from_bytes(data[:8], "little") + data[8 + int.from_bytes(data[:8], "little"):]),
        ("header a JSON list", lambda data: len(b"[1]").to_bytes(8, "little") + b"[1]"),
        ("offsets beyond the file", lambda data: data[: len(data) // 2]),
        ("unknown dtype", lambda data: data.replace(b'"F32"', b'"X99"', 1)),
    ],
)
def test_malformed_safetensors_is_a_checkpoint_error_naming_the_file(plain_detector, label, make):
    path = plain_detector / WEIGHTS_NAME
    path.write_bytes(make(path.read_bytes()))
    with pytest.raises(CheckpointError, match=f"{WEIGHTS_NAME}") as error:
        LCRDetector.from_pretrained(plain_detector)
    assert str(plain_detector) in str(error.value), label


def test_config_of_another_model_type_in_a_local_folder_is_a_config_error(plain_detector, tmp_path):
    config, _ = bert_files(tmp_path / "bert")
    (plain_detector / CONFIG_NAME).write_bytes(config)
    with pytest.raises(ConfigError, match=r"config.json.*model_type 'bert'"):
        LCRDetector.from_pretrained(plain_detector)


def test_cli_reports_a_bad_header_in_one_line(plain_detector):
    """The CLI's view of a malformed header (an oversized config goes the same way, tested in-process above)."""
    import subprocess
    import sys

    from conftest import script_env

    weights = plain_detector / WEIGHTS_NAME
    weights.write_bytes((2**63).to_bytes(8, "little") + weights.read_bytes()[8:])
    result = subprocess.run([sys.executable, "-m", "lcr_hub", "validate", "--detector", str(plain_detector)],
                            capture_output=True, text=True, timeout=300, env=script_env())
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "header claims" in result.stderr and str(weights) in result.stderr
