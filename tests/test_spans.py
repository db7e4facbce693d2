"""The detector's span loss: answer tokens found in the encoded layout, attention trained onto them."""

import pytest
import torch

from lcr_hub import LCRDetector, LCRDetectorConfig
from lcr_hub.data.windows import Windowing
from lcr_hub.encoding import encode_rows
from lcr_hub.training import train_head
from lcr_hub.training.heads import SPAN_LOSS_WEIGHT
from lcr_hub.training.spans import answer_token_flags, collate_flags, span_loss

LONG = " ".join(f"Sentence {i} says nothing about the hall." for i in range(60))
ROWS = [
    {"query": "When did the hall open?", "documents": [
        {"text": "The hall opened in 1923. " + LONG, "answer": "1923"},
        {"text": LONG + " It opened in 1925, say the papers.", "answer": "1925"},
        {"text": "A fine old hall, reworded.", "answer": "1923"},  # no answer in its text: no flag
    ]},
    {"query": "Who built it?", "documents": [{"text": "It was built by JANE DOE.", "answer": "Jane Doe"}]},
]


def _flagged_text(encoder, rows, windowing):
    """The tokens each flag marks, decoded, per row."""
    features = encode_rows(encoder, rows, [3], progress=False, windowing=windowing, batch_size=1)
    flags = answer_token_flags(encoder, rows, windowing)
    return features, flags


def test_flags_mark_each_documents_own_answer_in_every_window(encoder):
    windowing = Windowing(overlap=16)
    features, flags = _flagged_text(encoder, ROWS, windowing)
    for i, row in enumerate(ROWS):
        assert flags[i].shape == features.document_ids[i].shape  # one flag per encoded token
        flagged_documents = set(features.document_ids[i][flags[i]].tolist())
        stated = {d for d, doc in enumerate(row["documents"]) if doc["answer"].lower() in doc["text"].lower()}
        assert flagged_documents == stated
    # The second document's answer sits in a later window than its first tokens.
    assert features.window_ids[0][flags[0] & (features.document_ids[0] == 1)].min() > 0
    # Collated, the flags sit on the tokens of their documents.
    _, attention, documents = features.batch(3, [0, 1])
    collated = collate_flags(features, flags, [0, 1])
    assert collated.shape == documents.shape
    assert bool((documents[collated] >= 0).all()) and int(collated.sum()) == sum(int(f.sum()) for f in flags)


def test_span_loss_is_small_when_attention_sits_on_the_answer():
    documents = torch.tensor([[0, 0, 0, 1, 1]])
    flags = torch.tensor([[False, True, False, True, False]])
    on = span_loss(torch.tensor([[0.0, 9.0, 0.0, 9.0, 0.0]]), documents, flags)
    off = span_loss(torch.tensor([[9.0, 0.0, 0.0, 0.0, 9.0]]), documents, flags)
    assert float(on) < 0.01 < 5 < float(off)
    assert span_loss(torch.zeros(1, 5), documents, torch.zeros(1, 5, dtype=torch.bool)) is None


def test_training_with_answer_flags_adds_the_span_loss(encoder):
    torch.manual_seed(0)
    windowing = Windowing(overlap=16)
    features, flags = _flagged_text(encoder, ROWS, windowing)
    config = LCRDetectorConfig(hidden_size=384, intermediate_size=4, pooling="documents", input_mode="windows",
                               layer_index=3)
    model = LCRDetector(config)
    common = dict(epochs=1, batch_size=2, learning_rate=0.0, seed=0, progress=False)
    plain = train_head(model, features, [1, 0], **common)
    with_spans = train_head(model, features, [1, 0], answer_flags=flags, **common)
    x, attention, documents = features.batch(3, [0, 1])
    with torch.no_grad():
        scores = model.doc_attention(x.reshape(2, -1, 384)).squeeze(-1)
    flat = documents.reshape(2, -1).masked_fill(attention.reshape(2, -1) <= 0, -1)
    expected = span_loss(scores, flat, collate_flags(features, flags, [0, 1]).reshape(2, -1))
    assert with_spans[0] - plain[0] == pytest.approx(SPAN_LOSS_WEIGHT * float(expected), rel=1e-4)
    assert not model.doc_scores._forward_hooks  # the hook is removed after training


def test_the_span_loss_trains_the_query_attention_too(encoder):
    torch.manual_seed(0)
    windowing = Windowing(overlap=16)
    features, flags = _flagged_text(encoder, ROWS, windowing)
    config = LCRDetectorConfig(hidden_size=384, intermediate_size=4, pooling="documents", input_mode="windows",
                               document_attention="query", layer_index=3)
    model = LCRDetector(config)
    common = dict(epochs=1, batch_size=2, learning_rate=0.0, seed=0, progress=False)
    plain = train_head(model, features, [1, 0], **common)
    with_spans = train_head(model, features, [1, 0], answer_flags=flags, **common)
    x, attention, documents = features.batch(3, [0, 1])
    x, mask, documents = x.reshape(2, -1, 384), attention.reshape(2, -1), documents.reshape(2, -1)
    flat = documents.masked_fill(mask <= 0, -1)
    with torch.no_grad():
        scores = model.doc_attention(x).squeeze(-1) + model._query_scores(x, mask, documents)
        expected = span_loss(scores, flat, collate_flags(features, flags, [0, 1]).reshape(2, -1))
        # The query term is part of what the loss sees: without it the loss differs.
        without = span_loss(model.doc_attention(x).squeeze(-1), flat,
                            collate_flags(features, flags, [0, 1]).reshape(2, -1))
    assert with_spans[0] - plain[0] == pytest.approx(SPAN_LOSS_WEIGHT * float(expected), rel=1e-4)
    assert float(without) != pytest.approx(float(expected), rel=1e-4)
