"""Training runs for a couple of epochs on a tiny fixture with the real frozen encoder."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import load_script, script_env

from lcr_hub import LCRClassifier, LCRDetector, LCRDetectorConfig
from lcr_hub.errors import ConfigError
from lcr_hub._hashing import sha256_file
from lcr_hub.models.modeling_lcr import LCRMixingLayer
from lcr_hub.encoding import EncodedRows, encode_rows, length_sorted_batches
from lcr_hub.training import (
    PAIR_LOSS_WEIGHT,
    TrainingRun,
    copy_bert_layer,
    document_pair_targets,
    train_detector,
    train_head,
)
from lcr_hub.training.commands import COMMANDS, build_parser, run_from_args

REPO = Path(__file__).resolve().parents[1]


def test_length_sorted_batches_cover_every_index_once():
    batches = length_sorted_batches([5, 1, 9, 3, 7], 2)
    assert sorted(i for b in batches for i in b) == [0, 1, 2, 3, 4]
    assert batches[0] == [2, 4]


@pytest.mark.slow
def test_encode_rows_keeps_real_tokens_and_document_ids(encoder, tiny_training_data):
    from lcr_hub.data import load_lcr_dataset

    rows = load_lcr_dataset(tiny_training_data).to_list()[:3]
    features = encode_rows(encoder, rows, [3], batch_size=2, progress=False)
    for i, row in enumerate(rows):
        ids = features.document_ids[i]
        assert features.states[3][i].shape == (len(ids), 384)
        assert set(ids.tolist()) - {-1} == set(range(len(row["documents"])))


def test_pair_targets_mark_agreeing_disagreeing_and_unknown_pairs():
    docs = [{"text": "The hall opened in 1911.", "answer": "1911"},
            {"text": "It opened in 1914, after delays.", "answer": "1914"},
            {"text": "A fine old hall by the river.", "answer": "1911"},
            {"text": "Doors first opened in nineteen fourteen.", "answer": "1914"}]
    assert document_pair_targets(docs).tolist() == [
        [0, 1, 0, -1],  # 0-1 both state different years; 0-3: doc 3 does not write "1914"
        [1, 0, -1, 0],  # 1-2: doc 2 states no year; 1-3 same answer
        [0, -1, 0, -1],
        [-1, 0, -1, 0],
    ]


@pytest.mark.slow
def test_pair_loss_trains_agreeing_pairs_to_no_conflict_and_disagreeing_pairs_to_conflict():
    torch.manual_seed(0)
    config = LCRDetectorConfig(hidden_size=8, intermediate_size=4, pooling="documents")
    model = LCRDetector(config)
    states = {config.layer_index: [torch.randn(6, 8), torch.randn(9, 8)]}
    doc_ids = [torch.tensor([-1, 0, 0, 1, 1, 2]), torch.tensor([-1, 0, 0, 0, 1, 1, 2, 2, 3])]
    features = EncodedRows(states, doc_ids)
    targets = [torch.tensor([[0, 0, 1], [0, 0, -1], [1, -1, 0]]),
               torch.tensor([[0, 0, -1, 0], [0, 0, -1, 0], [-1, -1, 0, -1], [0, 0, -1, 0]])]
    x, attention, documents = features.batch(config.layer_index, [0, 1])
    with torch.no_grad():
        out = model(hidden_states=x, attention_mask=attention, document_mask=documents,
                    labels=torch.tensor([1.0, 0.0]))
    # Pairs in triu_indices(4, 4, 1) order: (0,1) (0,2) (0,3) (1,2) (1,3) (2,3); example 0 has 3 documents.
    known = torch.tensor([[1, 1, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0]], dtype=torch.bool)
    target = torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0])
    pair_loss = torch.nn.functional.binary_cross_entropy_with_logits(out.pair_logits[known], target)
    common = dict(epochs=1, batch_size=2, learning_rate=0.0, seed=0, progress=False)
    plain = train_head(model, features, [1, 0], **common)
    with_pairs = train_head(model, features, [1, 0], pair_targets=targets, **common)
    assert plain[0] == pytest.approx(float(out.loss), rel=1e-5)
    assert with_pairs[0] == pytest.approx(float(out.loss + PAIR_LOSS_WEIGHT * pair_loss), rel=1e-5)


def test_mixing_layer_copied_from_a_base_block_reproduces_that_block(encoder):
    from lcr_hub.data import format_example

    rows = [("When did it open?", ["It opened in 1911.", "The opening was in 1914, after delays."]),
            ("Who built it?", ["Mara Holt built it.", "It was built by a firm.", "Nobody knows."])]
    examples = [format_example(q, docs, " [SEP] ") for q, docs in rows]
    states, batch = encoder.hidden_states(examples, [3, 4])
    config = LCRDetectorConfig(hidden_size=384, num_attention_heads=12, mixing_intermediate_size=1536, mixing_layers=1)
    layer = LCRMixingLayer(config)
    copy_bert_layer(layer, encoder.model.encoder.layer[3])
    with torch.inference_mode():
        out = layer(states[3], batch["attention_mask"])
    real = batch["attention_mask"].bool()
    torch.testing.assert_close(out[real], states[4][real], atol=1e-4, rtol=1e-4)


def test_copy_bert_layer_refuses_a_block_of_another_layout():
    layer = LCRMixingLayer(LCRDetectorConfig(hidden_size=8, num_attention_heads=2, mixing_intermediate_size=16))
    with pytest.raises(ConfigError, match="BERT-style block"):
        copy_bert_layer(layer, torch.nn.Linear(8, 8))


@pytest.mark.slow
def test_detector_training_writes_a_reproducible_checkpoint(tiny_training_data, tmp_path):
    consistent = tmp_path / "consistent.jsonl"
    rows = [json.loads(line) for line in tiny_training_data.read_text().splitlines()[:4]]
    for row in rows:
        row["id"] = "cons_" + row["id"]
        row["documents"] = [d for d in row["documents"] if d["answer"] == row["gold_answer"]]
    consistent.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = TrainingRun(data=[str(tiny_training_data)], output=str(tmp_path / "a"), epochs=2, validation_fraction=0.25,
                      consistent=[str(consistent)], progress=False)
    metadata = train_detector(run)
    folder = tmp_path / "a"
    assert sorted(p.name for p in folder.iterdir()) == [  # checksums.sha256: every written folder carries its digests
        "README.md", "checksums.sha256", "config.json", "model.safetensors", "reference_outputs.json",
        "training_metadata.json",
    ]
    saved = json.loads((folder / "training_metadata.json").read_text())
    assert saved == json.loads(json.dumps(metadata))
    assert saved["weights_sha256"] == sha256_file(folder / "model.safetensors")
    assert saved["data"]["files"][0]["sha256"] == sha256_file(tiny_training_data)
    assert [f["role"] for f in saved["data"]["files"]] == ["train+validation", "train-negatives"]
    assert saved["data"]["n_train_examples"] == 2 * 16 + 4  # 16 rows (2 of 6 per level held out), twins, 4 consistent
    assert {"framework", "hardware", "validation", "command", "seed", "config"} <= set(saved)
    assert set(saved["validation"]) == {"benchmark_dev"} and saved["validation"]["benchmark_dev"]["n"] == 16
    model = LCRDetector.from_pretrained(folder)
    assert model.config.pooling == "documents" and model.config.base_model_revision.startswith("sha256:")
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlicense: cc-by-sa-4.0") and "base_model: sentence-transformers/all-MiniLM-L6-v2" in card
    assert f"{saved['validation']['benchmark_dev']['f1']:.4f}" in card
    # Same command again -> same weights.
    train_detector(TrainingRun(**{**run.__dict__, "output": str(tmp_path / "b")}))
    assert sha256_file(tmp_path / "b" / "model.safetensors") == saved["weights_sha256"]


@pytest.mark.slow
def test_classifier_training_script_runs(tiny_training_data, tmp_path):
    out = tmp_path / "clf"
    natural_subset = tmp_path / "natural.jsonl"
    natural_subset.write_text("".join((REPO / "data" / "natural" / "validation.jsonl").read_text().splitlines(True)[:3]))
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "train_classifier.py"), "--data", str(tiny_training_data),
         "--output", str(out), "--epochs", "2", "--validation-fraction", "0.25", "--no-progress",
         "--extra-train", str(tiny_training_data), "--report", f"natural={natural_subset}", "--input-mode", "packed"],
        capture_output=True, text=True, timeout=300, env=script_env(),
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["weights_sha256"] == sha256_file(out / "model.safetensors")
    model = LCRClassifier.from_pretrained(out)
    assert model.encoder is None and model.config.freeze_encoder
    assert (model.config.input_mode, model.config.window_overlap) == ("packed", 64)
    # The score bias changes nothing after the softmax, so it is not trained: it keeps its zero.
    assert model.token_attention.bias.item() == 0.0 and model.token_attention.weight.abs().max() > 0
    metadata = json.loads((out / "training_metadata.json").read_text())
    assert "train_classifier.py" in metadata["command"]
    assert metadata["validation"]["benchmark_dev"]["n"] == 8 and metadata["validation"]["natural"]["n"] == 3


@pytest.mark.slow
def test_failed_run_leaves_no_partial_folder(tmp_path, write_jsonl):
    bad = write_jsonl(['{"id": "x"}'])
    with pytest.raises(Exception):
        train_detector(TrainingRun(data=[str(bad)], output=str(tmp_path / "out"), progress=False))
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["rows.jsonl"]


@pytest.mark.slow
@pytest.mark.parametrize("options, message", [
    (["--mixing-layers", "9"], r"--mixing-layers 9: the encoder has \d block\(s\)"),
    (["--mixing-layers", "1", "--pooling", "mean"], "document pooling on the embedded encoder only"),
    (["--document-attention", "query", "--pooling", "mean"], "document_attention='query' scores"),
])
def test_bad_detector_options_fail_before_encoding_and_write_nothing(options, message, tiny_training_data, tmp_path):
    args = build_parser(COMMANDS["detector"]).parse_args(
        ["--data", str(tiny_training_data), "--output", str(tmp_path / "out"), "--no-progress", *options])
    run = run_from_args(args)
    with pytest.raises(ConfigError, match=message):
        train_detector(run)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_query_attention_detector_trains_packed_from_the_command_line(tiny_training_data, tmp_path):
    args = build_parser(COMMANDS["detector"]).parse_args(
        ["--data", str(tiny_training_data), "--output", str(tmp_path / "q"), "--no-progress", "--epochs", "1",
         "--validation-fraction", "0.25", "--document-attention", "query", "--mixing-layers", "0",
         "--input-mode", "packed"])
    run = run_from_args(args)
    assert (run.document_attention, run.mixing_layers, run.input_mode) == ("query", 0, "packed")
    metadata = train_detector(run)
    model = LCRDetector.from_pretrained(tmp_path / "q")
    assert (model.config.document_attention, model.config.mixing_layers) == ("query", 0)
    assert model.config.input_mode == "packed"
    assert len(model.mixer) == 0 and model.query_projection.out_features == model.key_projection.out_features
    assert metadata["config"]["document_attention"] == "query"
    assert "-log(document attention on the answer's tokens)" in metadata["training"]["loss"]  # the span loss runs


@pytest.mark.slow
def test_init_from_starts_from_another_checkpoint_and_records_it(tiny_detector, tiny_training_data, tmp_path):
    from lcr_hub.training.runs import train_embedded_classifier

    run = TrainingRun(data=[str(tiny_training_data)], output=str(tmp_path / "c"), epochs=1, validation_fraction=0.25,
                      progress=False, init_from=str(tiny_detector))
    metadata = train_detector(run)
    assert metadata["training"]["init_from"]["sha256"] == sha256_file(tiny_detector / "model.safetensors")
    assert metadata["config"]["input_mode"] == "windows"
    with pytest.raises(ConfigError, match="init-from"):  # a detector's weights do not fit a classifier
        train_embedded_classifier(TrainingRun(**{**run.__dict__, "output": str(tmp_path / "d")}))


@pytest.mark.slow
def test_compare_detector_heads_trains_each_variant_on_one_encoding(tiny_training_data, tmp_path):
    out = tmp_path / "heads.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "compare_detector_heads.py"), "--train", str(tiny_training_data),
         "--validation", f"tiny={tiny_training_data}", "--variant", "tokens:0", "query:1", "tokens:0:oracle",
         "query:0:top2", "query:0:teacher", "--epochs", "1", "--output", str(out)],
        capture_output=True, text=True, timeout=300, env=script_env(),
    )
    assert result.returncode == 0, result.stderr
    variants = json.loads(out.read_text())["variants"]
    assert [v["variant"] for v in variants] == ["tokens:0", "query:1", "tokens:0:oracle", "query:0:top2", "query:0:teacher"]
    assert variants[3]["top_tokens"] == 2 and not variants[0]["top_tokens"]
    assert variants[4]["teacher"] and not variants[0]["teacher"]
    for v in variants:  # every document of the fixture states its answer, so every one has a mass
        scored = v["validation"]["tiny"]
        assert len(v["loss_history"]) == 1 and 0.0 < scored["answer_mass"] <= 1.0
        assert 0.0 <= scored["rows_all_hit"] <= scored["answer_hit"] <= 1.0
        assert set(scored["per_level_accuracy"]) == {"L1", "L2", "L3", "L4"}
    # The oracle reads each document as its answer's tokens only: all of its attention mass is there.
    assert variants[2]["validation"]["tiny"]["answer_mass"] == pytest.approx(1.0)
    assert variants[2]["validation"]["tiny"]["answer_hit"] == 1.0
    assert variants[0]["validation"]["tiny"]["answer_mass"] < 0.99
    assert "query:1" in result.stdout and "answer mass" in result.stdout
    # --retrieve cuts every document to its K sentences most similar to the query before encoding.
    cut = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "compare_detector_heads.py"), "--train", str(tiny_training_data),
         "--validation", str(tiny_training_data), "--variant", "tokens:0", "--epochs", "1", "--retrieve", "1"],
        capture_output=True, text=True, timeout=300, env=script_env(),
    )
    assert cut.returncode == 0, cut.stderr
    assert "tokens:0" in cut.stdout and "tiny: accuracy" in cut.stdout


def test_teacher_pointer_pools_stating_documents_over_their_answer_in_training_only():
    heads = load_script("compare_detector_heads")
    # One joint row: a query token, document 0 (answer at its 2nd token), document 1 (no answer flagged).
    documents = torch.tensor([-2, 0, 0, 0, 1, 1])
    features = heads.RecordingRows(states={0: [torch.zeros(6, 8)]}, document_ids=[documents])
    flags = [torch.tensor([False, False, True, False, False, False])]
    model = LCRDetector(LCRDetectorConfig(hidden_size=8, intermediate_size=4, pooling="documents"))
    pointer = heads.TeacherPointer(model, features, flags)
    features.batch(0, [0])
    pointer.documents = documents[None]
    scores = torch.arange(6, dtype=torch.float32)[None]
    taught = pointer.train()(scores)
    # Document 0 keeps only its answer's score; the query and document 1 (no answer) are left alone.
    assert taught[0, 2] == 2.0 and taught[0, 1] == taught[0, 3] == -1e4
    assert taught[0, [0, 4, 5]].tolist() == [0.0, 4.0, 5.0]
    assert torch.equal(pointer.eval()(scores), scores)
