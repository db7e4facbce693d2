"""Malformed LCR data through every command that reads it: one clear error, no traceback, nothing written.

Each case is run in-process through ``lcr-hub evaluate``, ``calibrate`` and ``generate`` and
through the training scripts' entry point (``scripts/_common.py``). The models are replaced
by stubs that fail the test when called, so every case also proves that the data is
validated before any model loads (and the suite runs in seconds).
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import load_script, make_row

from lcr_hub.cli import main
from lcr_hub.constants import MAX_DOCUMENTS, MAX_LINE_BYTES

COMMANDS = ("evaluate", "calibrate", "generate", "train")
TWIN_COMMANDS = ("evaluate", "calibrate")  # the commands that build consistent twins before any model loads
DROP = object()  # a field value meaning "leave the field out"

GOOD = make_row("ok", "L1", ["1901", "1907", "1901"], "1901")


def _changed(mapping: dict, changes: dict) -> dict:
    """``mapping`` with ``changes`` applied in place (``DROP`` removes a field)."""
    for key, value in changes.items():
        if value is DROP:
            mapping.pop(key)
        else:
            mapping[key] = value
    return mapping


def row(**changes) -> dict:
    """The good row with id "bad" and ``changes`` (``DROP`` removes a field)."""
    return _changed({**copy.deepcopy(GOOD), "id": "bad"}, changes)


def doc_row(index: int, **changes) -> dict:
    """The good row with ``changes`` made to document ``index`` (``DROP`` removes a field)."""
    result = row()
    _changed(result["documents"][index], changes)
    return result


def jsonl(*lines) -> bytes:
    """Lines (dicts are JSON-encoded, str encoded as UTF-8, bytes kept), each ending with a newline."""
    encoded = [
        line if isinstance(line, bytes) else (line if isinstance(line, str) else json.dumps(line)).encode()
        for line in lines
    ]
    return b"".join(line + b"\n" for line in encoded)


def raw_row(**fields: str) -> str:
    """The good row as JSON text with some fields' values replaced by raw JSON text (e.g. NaN)."""
    text = json.dumps(row())
    for name, value in fields.items():
        text = text.replace(f'"{name}": {json.dumps(row()[name])}', f'"{name}": {value}', 1)
        assert value in text
    return text


@dataclass(frozen=True)
class Case:
    """A malformed input and what its error must say.

    ``content`` is either the bytes of ``rows.jsonl`` or a function that builds the input
    under a folder and returns ``(--data argument, the path the error must name)``.
    """

    content: bytes | Callable[[Path], tuple[str, str]]
    line: int | None
    field: str | None
    fragment: str
    commands: tuple[str, ...] = COMMANDS
    extra_args: tuple[str, ...] = field(default_factory=tuple)


# ----------------------------------------------------------------------------- inputs that are folders or paths


def empty_folder(root: Path) -> tuple[str, str]:
    (root / "rows").mkdir()
    return str(root / "rows"), str(root / "rows")


def folder_of_json_files(root: Path) -> tuple[str, str]:
    (root / "rows").mkdir()
    (root / "rows" / "rows.json").write_bytes(jsonl(GOOD))
    (root / "rows" / "nested").mkdir()
    (root / "rows" / "nested" / "rows.jsonl").write_bytes(jsonl(GOOD))  # not searched recursively
    return str(root / "rows"), str(root / "rows")


def folder_with_a_bad_second_file(root: Path) -> tuple[str, str]:
    (root / "rows").mkdir()
    (root / "rows" / "a.jsonl").write_bytes(jsonl(GOOD))
    (root / "rows" / "b.jsonl").write_bytes(jsonl(row(id="b1"), row(id="b2", gold_answer=7)))
    return str(root / "rows"), str(root / "rows" / "b.jsonl")


def mistyped_relative_path(root: Path) -> tuple[str, str]:
    (root / "data" / "natural").mkdir(parents=True)
    (root / "data" / "natural" / "validation.jsonl").write_bytes(jsonl(GOOD))
    return "data/natral", "data/natral"  # the test runs in `root`


def bare_hub_repo_id(root: Path) -> tuple[str, str]:
    return "my-org/lcr-rows", "my-org/lcr-rows"


def malformed_hub_reference(root: Path) -> tuple[str, str]:
    return "hf://datasets/lcr-rows", "hf://datasets/lcr-rows"


def not_a_regular_file(root: Path) -> tuple[str, str]:
    os.mkfifo(root / "rows.jsonl")
    return str(root / "rows.jsonl"), str(root / "rows.jsonl")


def local_file_with_a_data_revision(root: Path) -> tuple[str, str]:
    (root / "rows.jsonl").write_bytes(jsonl(GOOD))
    return str(root / "rows.jsonl"), "abc123"


BOM = "\ufeff".encode()

CASES: dict[str, Case] = {
    # JSON syntax
    "truncated_json": Case(jsonl(GOOD, '{"id": "bad", "query": "When'), 2, None, "invalid JSON"),
    "single_quotes": Case(jsonl(GOOD, "{'id': 'bad'}"), 2, None, "invalid JSON"),
    "not_an_object": Case(jsonl(GOOD, "[1, 2, 3]"), 2, None, "expected a JSON object"),
    "a_json_string": Case(jsonl(GOOD, '"just text"'), 2, None, "expected a JSON object"),
    "whole_file_one_array": Case(jsonl(json.dumps([GOOD, GOOD])), 1, None, "expected a JSON object, got an array"),
    "pretty_printed_json": Case(json.dumps(GOOD, indent=2).encode(), 1, None, "invalid JSON"),
    "csv_file": Case(b"id,query,gold_answer\nr1,When?,1901\n", 1, None, "invalid JSON"),
    "nan": Case(jsonl(GOOD, raw_row(gold_answer="NaN")), 2, None, "NaN is not valid JSON"),
    "infinity_in_an_extra_field": Case(jsonl(GOOD, json.dumps(row())[:-1] + ', "score": -Infinity}'), 2, None,
                                       "-Infinity is not valid JSON"),
    "repeated_key": Case(jsonl(GOOD, '{"id": "a", ' + json.dumps(row())[1:]), 2, None, "the key 'id' appears twice"),
    "deeply_nested": Case(jsonl(GOOD, json.dumps(row())[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
                          2, None, "nested too deeply"),
    "integer_with_5000_digits": Case(jsonl(GOOD, raw_row(id="9" * 5000)), 2, None, "cannot be parsed"),
    # missing fields and wrong types, per field
    "missing_id": Case(jsonl(GOOD, row(id=DROP)), 2, "id", "missing required field 'id'"),
    "missing_query": Case(jsonl(GOOD, row(query=DROP)), 2, "query", "missing required field 'query'"),
    "missing_documents": Case(jsonl(GOOD, row(documents=DROP)), 2, "documents", "missing required field"),
    "missing_gold_answer": Case(jsonl(GOOD, row(gold_answer=DROP)), 2, "gold_answer", "missing required field"),
    "missing_conflict_level": Case(jsonl(GOOD, row(conflict_level=DROP)), 2, "conflict_level", "missing required"),
    "id_float": Case(jsonl(GOOD, row(id=1.5)), 2, "id", "non-empty string or an integer"),
    "id_boolean": Case(jsonl(GOOD, row(id=True)), 2, "id", "non-empty string or an integer"),
    "id_null": Case(jsonl(GOOD, row(id=None)), 2, "id", "got null"),
    "query_number": Case(jsonl(GOOD, row(query=3)), 2, "query", "expected a non-empty string"),
    "query_blank": Case(jsonl(GOOD, row(query="   ")), 2, "query", "whitespace-only"),
    "documents_an_object": Case(jsonl(GOOD, row(documents={"text": "a"})), 2, "documents", "non-empty array"),
    "documents_empty": Case(jsonl(GOOD, row(documents=[])), 2, "documents", "got an empty array"),
    "documents_too_many": Case(
        jsonl(GOOD, row(documents=[{"text": f"Doc {i} says 1901.", "answer": "1901"} for i in range(MAX_DOCUMENTS + 1)])),
        2, "documents", f"at most {MAX_DOCUMENTS} documents"),
    "documents_as_strings": Case(jsonl(GOOD, row(documents=["It was 1901.", "It was 1907."])), 2, "documents[0]",
                                 "expected an object"),
    "document_null": Case(jsonl(GOOD, row(documents=[None])), 2, "documents[0]", "got null"),
    "document_text_null": Case(jsonl(GOOD, doc_row(1, text=None)), 2, "documents[1].text", "got null"),
    "document_missing_answer": Case(jsonl(GOOD, doc_row(2, answer=DROP)), 2, "documents[2].answer",
                                    "missing required field 'answer'"),
    "document_answer_number": Case(jsonl(GOOD, doc_row(0, answer=1901)), 2, "documents[0].answer", "expected a string"),
    "document_id_list": Case(jsonl(GOOD, doc_row(1, doc_id=[1])), 2, "documents[1].doc_id", "string or an integer"),
    "unpaired_surrogate": Case(jsonl(GOOD, json.dumps(doc_row(0, text="\ud800 It was 1901."))), 2, "documents[0].text",
                               "unpaired surrogate"),
    "gold_answer_null": Case(jsonl(GOOD, row(gold_answer=None)), 2, "gold_answer", "expected a string, got null"),
    "conflict_level_L5": Case(jsonl(GOOD, row(conflict_level="L5")), 2, "conflict_level", "L1, L2, L3, L4"),
    "conflict_level_number": Case(jsonl(GOOD, row(conflict_level=1)), 2, "conflict_level", "L1, L2, L3, L4"),
    "conflict_type_number": Case(jsonl(GOOD, row(conflict_type=3)), 2, "conflict_type", "expected a string"),
    "is_natural_string": Case(jsonl(GOOD, row(is_natural="true")), 2, "is_natural", "expected a boolean"),
    "duplicate_id_different_content": Case(jsonl(GOOD, {**GOOD, "query": "Another question?"}), 2, "id",
                                           "--keep-first-duplicate"),
    # rows that are valid alone but give no consistent twin / nothing to score
    "answer_not_in_its_text": Case(jsonl(GOOD, doc_row(1, answer="1911")), 2, "documents[1].answer",
                                   "does not occur verbatim", commands=TWIN_COMMANDS),
    "no_conflicting_row": Case(jsonl(make_row("same", "L1", ["1901", "1901"], "1901")), None, None, "has a conflict",
                               commands=TWIN_COMMANDS),
    # encodings, byte order marks, binary and odd files
    "non_utf8_on_line_7": Case(jsonl(*[row(id=f"r{i}") for i in range(6)], json.dumps(row()).encode().replace(
        b"Record 1", b"R\xe9cord 1")), 7, None, "not valid UTF-8: byte 0xe9"),
    "bom_opening_line_3": Case(jsonl(GOOD, row(id="r2"), BOM + json.dumps(row()).encode()), 3, None,
                               "byte order mark"),
    "bom_between_tokens": Case(jsonl(GOOD, json.dumps(row()).replace('"query":', '"query":\ufeff')), 2, None,
                               "byte order mark"),
    "utf16_file": Case(jsonl(json.dumps(GOOD)).decode().encode("utf-16"), 1, None, "UTF-16"),
    "gzip_file": Case(gzip.compress(jsonl(GOOD), mtime=0), 1, None, "gzip-compressed"),
    "binary_file": Case(bytes(range(256)) * 4, 1, None, "NUL bytes"),
    "empty_file": Case(b"", None, None, "no rows found"),
    "blank_lines_only": Case(b"\n   \n\t\n", None, None, "no rows found"),
    "huge_line": Case(jsonl(GOOD, b'{"id": "x", "query": "' + b"a" * MAX_LINE_BYTES + b'"}'), 2, None,
                      "longer than 16 MiB"),
    # paths
    "empty_folder": Case(empty_folder, None, None, "contains no '*.jsonl' file"),
    "folder_of_json_files": Case(folder_of_json_files, None, None, "not searched recursively"),
    "folder_with_a_bad_second_file": Case(folder_with_a_bad_second_file, 2, "gold_answer", "expected a string"),
    "mistyped_relative_path": Case(mistyped_relative_path, None, None, "Did you mean data/natural?"),
    "bare_hub_repo_id": Case(bare_hub_repo_id, None, None, "write hf://datasets/my-org/lcr-rows"),
    "malformed_hub_reference": Case(malformed_hub_reference, None, None, "not a Hub dataset reference"),
    "not_a_regular_file": Case(not_a_regular_file, None, None, "not a regular file or folder"),
    "data_revision_without_a_hub_repo": Case(local_file_with_a_data_revision, None, None, "dataset repos only",
                                             commands=("evaluate",), extra_args=("--data-revision", "abc123")),
}


def _refuse(*args, **kwargs):
    raise AssertionError("a model was loaded before the data was validated")


@pytest.fixture
def no_models(monkeypatch):
    """Models and the Hub are off limits: any call fails the test."""
    import huggingface_hub

    from lcr_hub.pipeline import LCRPipeline
    from lcr_hub.system import LCRSystem
    from lcr_hub.training import runs

    monkeypatch.setattr(LCRPipeline, "from_pretrained", _refuse)
    monkeypatch.setattr(LCRSystem, "from_pretrained", _refuse)
    monkeypatch.setattr(runs, "load_encoder", _refuse)
    monkeypatch.setattr(runs, "load_causal_base", _refuse)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", _refuse)


def _training_main():
    return load_script("_common", "_lcr_training_common").main


def run_command(command: str, data: str, extra: tuple[str, ...], out: Path, monkeypatch) -> int:
    """Run ``command`` on ``data`` in-process, with its output under ``out``; return the exit code."""
    if command == "evaluate":
        return main(["evaluate", "--data", data, "--output", str(out / "report.json"), "--no-progress", *extra])
    if command == "calibrate":
        return main(["calibrate", "--data", data, "--output", str(out / "calibrated"), "--no-progress", *extra])
    if command == "generate":
        return main(["generate", "--base", "base", "--detector", "d", "--refinement", "r", "--data", data, *extra])
    from lcr_hub.training import train_detector

    monkeypatch.setattr(sys, "argv", ["train_detector.py", "--data", data, "--output", str(out / "detector"),
                                      "--no-progress", *extra])
    return _training_main()(train_detector, "Train the detector.", str(out / "detector"))


@pytest.mark.parametrize("name, command", [(name, command) for name, case in CASES.items() for command in case.commands])
def test_malformed_input_gives_one_clear_error(name, command, tmp_path, monkeypatch, capsys, no_models):
    case = CASES[name]
    monkeypatch.chdir(tmp_path)
    if isinstance(case.content, bytes):
        path = tmp_path / "rows.jsonl"
        path.write_bytes(case.content)
        data, where = str(path), str(path)
    else:
        data, where = case.content(tmp_path)
    out = tmp_path / "out"

    code = run_command(command, data, case.extra_args, out, monkeypatch)

    captured = capsys.readouterr()
    err = captured.err
    assert code == 2, err
    assert "Traceback" not in err and "Traceback" not in captured.out
    last = err.strip().splitlines()[-1]
    prefix = "train_detector.py: error: " if command == "train" else f"lcr-hub {command}: error: "
    assert last.startswith(prefix), err
    assert where in last
    if case.line is not None:
        assert f"{where}:{case.line}" in last
    if case.field is not None:
        assert f"field '{case.field}'" in last
    assert case.fragment in last
    assert "Fix:" in last  # says what to do
    assert not out.exists()  # nothing written at --output
    assert captured.out == ""


def test_suite_covers_enough_malformed_inputs():
    assert len(CASES) >= 30


@pytest.mark.parametrize("command", COMMANDS)
def test_keep_first_duplicate_goes_past_the_duplicate(command, tmp_path, caplog, monkeypatch, no_models):
    """With --keep-first-duplicate the same file passes validation: the run reaches the (stubbed) models."""
    path = tmp_path / "rows.jsonl"
    path.write_bytes(CASES["duplicate_id_different_content"].content)
    with pytest.raises(AssertionError, match="model was loaded"):
        run_command(command, str(path), ("--keep-first-duplicate",), tmp_path / "out", monkeypatch)
    assert f"dropped 1 row(s) whose id repeats with different content ('ok' at {path}:2" in caplog.text
