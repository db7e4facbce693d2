"""`lcr-hub detect`: unlabeled rows in, one JSON line per row out (streamed, resumable, in order)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import datasets
import pytest

from conftest import REPO, make_row
from lcr_hub import LCRPipeline
from lcr_hub import detect as detect_module
from lcr_hub.cli import main
from lcr_hub.constants import DETECT_CHUNK_ROWS, DETECT_PARTIAL_SUFFIX, DETECT_STATE_SUFFIX
from lcr_hub.data.unlabeled import validate_unlabeled_row
from lcr_hub.detect import detect, detect_rows
from lcr_hub.errors import ConfigError, DataError
from lcr_hub_cli import DETECT_CHUNK_ROWS as PARSER_CHUNK_ROWS

ROWS = [
    {"id": "harbour", "query": "When did the Harbour Line open?", "extra": {"keep": [1, 2]},
     "documents": [{"doc_id": "d1", "text": "The Harbour Line opened to passengers in 1911."},
                   {"doc_id": "d2", "text": "Local papers reported the line's opening in 1914."},
                   {"doc_id": "d3", "text": "The line opened in 1911, the station master recalled."}]},
    {"query": "Who <b>founded</b> the club?", "documents": ["Jane Okafor founded the club.", "The club was founded by Jane Okafor."]},
    {"id": 3, "query": "How tall is the tower?", "documents": ["The tower is 120 m tall.", {"text": "It rises 95 m."}, "It is tall."]},
]


@pytest.fixture(scope="module")
def pipeline():
    return LCRPipeline.from_pretrained()


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_chunk_default_agrees_with_the_parser():
    assert PARSER_CHUNK_ROWS == DETECT_CHUNK_ROWS


@pytest.mark.slow
def test_output_rows_keep_order_fields_and_name_the_pair(pipeline, write_jsonl, tmp_path, monkeypatch):
    monkeypatch.setattr(detect_module.LCRPipeline, "from_pretrained", classmethod(lambda cls, *a, **k: pipeline))
    data = write_jsonl(ROWS)
    output = tmp_path / "out" / "preds.jsonl"
    summary = detect([data], output, chunk_rows=2, batch_size=2, progress=False, report=tmp_path / "rep", report_rows=2)
    rows = _lines(output)
    assert summary["rows"] == 3 and [r.get("id") for r in rows] == ["harbour", None, 3]
    assert rows[0]["extra"] == {"keep": [1, 2]} and "documents" not in rows[0] and rows[0]["query"] == ROWS[0]["query"]
    first = rows[0]["lcr"]
    # d2 (1914) against one of the two 1911 documents; d2 is the minority.
    assert first["conflicting_pair"] in (["d1", "d2"], ["d2", "d3"]) and first["disagreeing_document"] == "d2"
    assert first["detected"] and first["route"] == "refine" and first["level"] == "L1_temporal"
    assert first["conflict_probability"] == pytest.approx(first["conflicting_pair_probability"], abs=1e-6)
    assert sum(first["level_probabilities"].values()) == pytest.approx(1.0)
    assert rows[1]["lcr"]["disagreeing_document"] is None and rows[1]["lcr"]["route"] == "plain"
    assert [d["document"] for d in rows[2]["lcr"]["document_scores"]] == [0, 1, 2]
    # Same predictions as the Python API, row for row.
    assert [r["lcr"] for r in detect_rows(ROWS, pipeline, chunk_rows=2, batch_size=2)] == [r["lcr"] for r in rows]
    assert not list(tmp_path.joinpath("out").glob("*partial*"))
    pages = sorted(p.name for p in (tmp_path / "rep").iterdir())
    assert pages == ["index.html", "row_000001.html", "row_000002.html"]
    page = (tmp_path / "rep" / "row_000002.html").read_text()
    assert "Who &lt;b&gt;founded&lt;/b&gt; the club?" in page and "<b>founded</b>" not in page and "<script" not in page


@pytest.mark.slow
def test_dataset_input_and_resume_after_a_crash(pipeline, tmp_path, monkeypatch):
    monkeypatch.setattr(detect_module.LCRPipeline, "from_pretrained", classmethod(lambda cls, *a, **k: pipeline))
    dataset = datasets.Dataset.from_list([{"query": r["query"], "documents": [d if isinstance(d, str) else d["text"]
                                                                              for d in r["documents"]]} for r in ROWS] * 2)
    whole = tmp_path / "whole.jsonl"
    detect(dataset, whole, chunk_rows=2, batch_size=2, progress=False)
    output = tmp_path / "crashed.jsonl"
    real, calls = detect_module._score_chunk, []

    def crash_on_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(detect_module, "_score_chunk", crash_on_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        detect(dataset, output, chunk_rows=2, batch_size=2, progress=False)
    partial, state = tmp_path / f"crashed.jsonl{DETECT_PARTIAL_SUFFIX}", tmp_path / f"crashed.jsonl{DETECT_STATE_SUFFIX}"
    assert not output.exists() and json.loads(state.read_text())["rows"] == 2
    with open(partial, "ab") as handle:  # a torn write after the last recorded chunk is cut on resume
        handle.write(b'{"query": "half a li')
    with pytest.raises(ConfigError, match="another detect run"):  # other settings: refused, not mixed
        detect(dataset, output, chunk_rows=3, batch_size=2, progress=False)
    summary = detect(dataset, output, chunk_rows=2, batch_size=2, progress=False)
    assert summary["resumed_rows"] == 2 and len(calls) == 4  # chunks 2 and 3 only
    assert output.read_bytes() == whole.read_bytes() and not partial.exists() and not state.exists()


@pytest.mark.slow
def test_the_heap_is_trimmed_after_every_batch(pipeline, monkeypatch):
    # Without it, a long run's resident memory climbs with the number of batches (docs/detect.md).
    calls = []
    monkeypatch.setattr(detect_module, "release_free_heap", lambda: calls.append(1))
    assert len(list(detect_rows(ROWS, pipeline, batch_size=1, chunk_rows=2))) == 3
    assert len(calls) == 3


def test_validation_messages_name_file_line_and_field():
    with pytest.raises(DataError, match=r"^f.jsonl:3, field 'documents\[1\].text': .*non-empty"):
        validate_unlabeled_row({"query": "Q", "documents": ["a", {"text": " "}]}, "f.jsonl", 3)
    with pytest.raises(DataError, match=r"field 'query'.*missing required field"):
        validate_unlabeled_row({"documents": ["a"]}, "f.jsonl", 1)
    with pytest.raises(DataError, match=r"field 'documents\[1\].doc_id'.*repeats"):
        validate_unlabeled_row({"query": "Q", "documents": [{"text": "a", "doc_id": 1}, {"text": "b", "doc_id": "1"}]}, "f", 1)
    with pytest.raises(DataError, match=r"field 'lcr'"):
        validate_unlabeled_row({"query": "Q", "documents": ["a"], "lcr": {}}, "f", 1)


def test_malformed_rows_stop_with_evaluates_message_or_are_skipped(write_jsonl, tmp_path, capsys):
    bad = {"id": "x", "query": "Q?", "documents": [{"text": 5, "answer": "a"}], "gold_answer": "a", "conflict_level": "L1"}
    data = write_jsonl([ROWS[1], "{not json", bad, "", ROWS[1]])
    output = tmp_path / "p.jsonl"
    assert main(["detect", "--data", str(data), "--output", str(output), "--no-progress"]) == 2
    detect_error = capsys.readouterr().err
    assert detect_error.startswith(f"lcr-hub detect: error: {data}:2: invalid JSON") and "Traceback" not in detect_error
    data = write_jsonl([make_row("ok", "L1", ["1911", "1914", "1911"], "1911"), bad], name="bad.jsonl")
    assert main(["detect", "--data", str(data), "--output", str(output), "--no-progress"]) == 2
    assert main(["evaluate", "--data", str(data), "--no-progress", "--bootstrap", "0"]) == 2
    detect_error, evaluate_error = capsys.readouterr().err.splitlines()
    where = f"{data}:2, field 'documents[0].text': expected a non-empty string, got an integer (5)."
    assert where in detect_error and where in evaluate_error and not output.exists()


@pytest.mark.slow
def test_skip_invalid_lists_the_rows_it_skipped(write_jsonl, tmp_path, capsys):
    data = write_jsonl([ROWS[1], "{not json", {"query": "Q"}, ROWS[1]])
    output = tmp_path / "p.jsonl"
    assert main(["detect", "--data", str(data), "--output", str(output), "--skip-invalid", "--no-progress"]) == 0
    assert "skipped 2 malformed rows" in capsys.readouterr().out
    assert len(_lines(output)) == 2
    skipped = _lines(tmp_path / "p.jsonl.skipped.jsonl")
    assert [(s["line"], s["field"]) for s in skipped] == [(2, None), (3, "documents")]


@pytest.mark.slow
def test_two_processes_write_the_one_process_output(tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps({**r, "n": i}) + "\n" for i, r in enumerate(ROWS * 3)))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    args = ["-m", "lcr_hub", "detect", "--data", str(data), "--chunk-rows", "4", "--batch-size", "2", "--no-progress"]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    for name, launcher in (("one", [sys.executable]), ("two", torchrun)):
        result = subprocess.run([*launcher, *args, "--output", str(tmp_path / f"{name}.jsonl")],
                                cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.count("wrote 9 rows") == 1, result.stdout  # the main process reports
    one, two = (tmp_path / f"{name}.jsonl" for name in ("one", "two"))
    assert one.read_bytes() == two.read_bytes()
    assert [r["n"] for r in _lines(two)] == list(range(9))
