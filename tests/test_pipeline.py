"""LCRPipeline on the embedded checkpoints: order, shapes, and pinned outputs."""

from pathlib import Path

import numpy as np
import pytest

from lcr_hub import LCRDetector, LCRDetectorConfig, LCRPipeline
from lcr_hub.data import SAMPLE_DATA_PATH, load_lcr_dataset, make_consistent_twin
from lcr_hub.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pipe():
    return LCRPipeline.from_pretrained()


@pytest.mark.slow
def test_pipeline_predicts_in_input_order(pipe):
    rows = load_lcr_dataset(SAMPLE_DATA_PATH).to_list()[:5]
    together = pipe.predict(rows, batch_size=2, progress=False)
    alone = [pipe.predict([r], progress=False) for r in rows]
    np.testing.assert_allclose(together.conflict_probability, [a.conflict_probability[0] for a in alone], atol=1e-5)
    assert together.level_probabilities.shape == (5, 4)
    np.testing.assert_allclose(together.level_probabilities.sum(-1), 1.0, atol=1e-5)
    assert len(together.levels) == 5


@pytest.mark.slow
def test_shipped_detector_on_natural_rows_is_pinned(pipe):
    """Pins the shipped detector's probabilities on four natural rows and their twins.

    All four conflicts are caught, and three twins pass (the L1 twin restates the year as "the
    spring of 1962" and "Established 1962" beside an unrelated distractor). The L4 twin, whose
    claim is reworded, is a false alarm for detector-minilm-v13 at 0.79 against the 0.6
    threshold (v8 to v12 scored it 0.44; on all of data/natural v13 has 0.907 accuracy against
    their 0.926). A retrained detector must update this pin.
    """
    rows = {r["id"]: r for r in load_lcr_dataset(REPO / "data" / "natural" / "validation.jsonl").to_list()}
    examples = []
    for row_id in ("nat_l1_001", "nat_l2_001", "nat_l3_001", "nat_l4_001"):
        examples += [rows[row_id], make_consistent_twin(rows[row_id])]
    expected = [
        0.9876422882080078, 0.0007091183797456324,  # L1 row, twin
        0.999157190322876, 0.0026337800081819296,  # L2
        0.9787657856941223, 0.0005880659446120262,  # L3
        0.8473690748214722, 0.7913084030151367,  # L4
    ]
    got = pipe.predict(examples, progress=False).conflict_probability
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def test_detector_without_a_base_model_is_refused_clearly(tmp_path):
    LCRDetector(LCRDetectorConfig(hidden_size=384)).save_pretrained(tmp_path)
    with pytest.raises(ConfigError, match=f"{tmp_path} has no 'base_model_name_or_path'"):
        LCRPipeline.from_pretrained(tmp_path, with_classifier=False)


def _long_row(last: str) -> dict:
    filler = " ".join(f"Passage sentence {i} describes the harbour wall and its stones." for i in range(30))
    documents = [{"text": f"{filler} The harbour opened in 1911."} for _ in range(7)]
    return {"query": "When did the harbour open?", "documents": documents + [{"text": f"{filler} {last}"}]}


def test_the_last_document_of_a_long_row_reaches_both_heads(encoder):
    """Eight documents of ~300 tokens each (over 2,000 in all): the last one alone differs."""
    import torch

    from lcr_hub import LCRClassifier, LCRClassifierConfig
    from lcr_hub.encoding import encode_rows, input_windowing

    torch.manual_seed(0)
    shape = dict(hidden_size=384, layer_index=3, input_mode="windows", base_model_name_or_path=encoder.name_or_path)
    detector = LCRDetector(LCRDetectorConfig(pooling="documents", mixing_layers=1, num_attention_heads=12,
                                             mixing_intermediate_size=1536, **shape))
    pipe = LCRPipeline(detector, encoder, LCRClassifier(LCRClassifierConfig(**shape)))
    conflict, twin = _long_row("The harbour opened in 1914."), _long_row("The harbour opened in 1911.")
    features = encode_rows(encoder, [conflict, twin], [3], progress=False, windowing=input_windowing(detector.config))
    last_doc = features.document_ids[0] == 7
    assert int(last_doc.sum()) > 250 and features.states[3][0][last_doc].abs().sum() > 0
    with torch.no_grad():
        pairs = detector(*features.batch(3, [0, 1])).pair_logits  # pairs i < j of 8 documents, row-major
    first, second = torch.triu_indices(8, 8, 1)
    with_last = second == 7
    assert not torch.allclose(pairs[0, with_last], pairs[1, with_last])  # the last document is compared
    torch.testing.assert_close(pairs[0, ~with_last], pairs[1, ~with_last])  # and nothing else changed
    out = pipe.predict([conflict, twin], progress=False)
    assert not np.allclose(out.level_probabilities[0], out.level_probabilities[1])
    assert out.windows_cut.tolist() == [0, 0] and out.documents_cut.tolist() == [0, 0]
    capped = LCRPipeline(detector, encoder, max_windows=7).predict([conflict], progress=False)
    assert capped.windows_cut.tolist() == [1] and capped.documents_cut.tolist() == [1]


@pytest.mark.parametrize("classifier_mode, passes", [("packed", 1), ("windows", 2)])
def test_heads_of_one_input_mode_share_one_encoder_pass(encoder, monkeypatch, classifier_mode, passes):
    """A packed detector and a packed classifier read one pass per batch; another mode costs a second."""
    import torch

    from lcr_hub import LCRClassifier, LCRClassifierConfig

    torch.manual_seed(0)
    shape = dict(hidden_size=384, layer_index=3, base_model_name_or_path=encoder.name_or_path)
    detector = LCRDetector(LCRDetectorConfig(pooling="documents", mixing_layers=0, input_mode="packed", **shape))
    classifier = LCRClassifier(LCRClassifierConfig(input_mode=classifier_mode, **shape))
    calls = []
    hidden_states = encoder.hidden_states
    monkeypatch.setattr(encoder, "hidden_states", lambda *a, **k: calls.append(a[1]) or hidden_states(*a, **k))
    rows = load_lcr_dataset(SAMPLE_DATA_PATH).to_list()[:3]
    out = LCRPipeline(detector, encoder, classifier).predict(rows, batch_size=8, progress=False)
    assert len(calls) == passes and out.level_probabilities.shape == (3, 4)
