import json

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModel, BertConfig

import lcr_hub  # noqa: F401
from lcr_hub import LCRClassifier, LCRClassifierConfig, LCRDetector, LCRDetectorConfig, LCRRefinement, LCRRefinementConfig
from lcr_hub.errors import CheckpointError


def test_parameter_counts_at_hidden_4096():
    assert LCRDetector(LCRDetectorConfig(hidden_size=4096)).num_parameters() == 2_098_177
    assert LCRRefinement(LCRRefinementConfig(hidden_size=4096)).num_parameters() == 5_996_544
    names = set(LCRDetector(LCRDetectorConfig(hidden_size=8, intermediate_size=4)).state_dict())
    assert names == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
    assert set(LCRRefinement(LCRRefinementConfig(hidden_size=8, bottleneck_size=4)).state_dict()) == {"w_up.weight", "w_down.weight"}


def test_mean_pooling_ignores_padding():
    torch.manual_seed(0)
    model = LCRDetector(LCRDetectorConfig(hidden_size=8, intermediate_size=4)).eval()
    h = torch.randn(1, 3, 8)
    padded = torch.cat([h, torch.randn(1, 2, 8) * 100], dim=1)
    a = model(h).logits
    b = model(padded, attention_mask=torch.tensor([[1, 1, 1, 0, 0]])).logits
    torch.testing.assert_close(a, b)
    expected = model.fc2(torch.relu(model.fc1(h.mean(1)))).squeeze(-1)
    torch.testing.assert_close(a, expected)


def test_document_pooling_is_a_max_over_pairs():
    torch.manual_seed(0)
    model = LCRDetector(LCRDetectorConfig(hidden_size=8, intermediate_size=6, attention_hidden_size=3, pooling="documents")).eval()
    h = torch.randn(1, 7, 8)
    docs = torch.tensor([[-1, 0, 0, 1, 1, 2, -1]])
    out = model(h, document_mask=docs)
    # Recompute by hand: attention pool per document, then the max over the three pairs.
    pooled = []
    for d in range(3):
        sel = h[0, docs[0] == d]
        w = torch.softmax(model.doc_attention(sel).squeeze(-1), dim=0)
        pooled.append(model.doc_norm((w.unsqueeze(-1) * sel).sum(0)))
    pair = [model.fc2(torch.relu(model.fc1(torch.cat([(a - b).abs(), a * b])))) for a, b in
            [(pooled[0], pooled[1]), (pooled[0], pooled[2]), (pooled[1], pooled[2])]]
    torch.testing.assert_close(out.logits, torch.stack(pair).max().reshape(1))
    torch.testing.assert_close(out.pair_logits, torch.stack(pair).reshape(1, 3))
    torch.testing.assert_close(out.probabilities, torch.sigmoid(out.logits / model.config.calibration_temperature))


def test_document_pooling_batch_independence_and_single_document():
    torch.manual_seed(0)
    model = LCRDetector(LCRDetectorConfig(hidden_size=8, intermediate_size=6, pooling="documents")).eval()
    h = torch.randn(2, 6, 8)
    docs = torch.tensor([[0, 0, 1, 1, 2, 2], [0, 0, 0, -1, -1, -1]])
    batched = model(h, attention_mask=torch.tensor([[1] * 6, [1, 1, 1, 0, 0, 0]]), document_mask=docs).logits
    alone = model(h[1:, :3], document_mask=docs[1:, :3]).logits
    torch.testing.assert_close(batched[1:], alone)
    assert torch.isfinite(batched).all()
    # The second example has one document: all its pairs are missing, its logit is the self-pair's.
    pairs = model(h, attention_mask=torch.tensor([[1] * 6, [1, 1, 1, 0, 0, 0]]), document_mask=docs).pair_logits
    assert pairs.shape == (2, 3) and torch.isfinite(pairs[0]).all()
    assert (pairs[1] == torch.finfo(pairs.dtype).min).all()
    with pytest.raises(ValueError, match="document_mask"):
        model(h)


def test_detector_loss_and_threshold():
    model = LCRDetector(LCRDetectorConfig(hidden_size=4, intermediate_size=2, threshold=0.5))
    out = model(torch.randn(3, 2, 4), labels=torch.tensor([1, 0, 1]))
    assert out.loss.ndim == 0 and out.loss > 0
    assert model.detect(torch.randn(3, 2, 4)).dtype == torch.bool


def test_refinement_early_stop_per_example_matches_hand_computation():
    config = LCRRefinementConfig(hidden_size=2, bottleneck_size=2, alpha=0.5, t_max=3, epsilon=0.6)
    model = LCRRefinement(config)
    with torch.no_grad():
        model.w_up.weight.copy_(torch.eye(2))
        model.w_down.weight.copy_(-torch.eye(2))  # delta = -relu(h): halves the positive part each step
    h = torch.tensor([[[4.0, 0.0]], [[0.5, 0.0]]])
    out = model(h)
    # Example 0: ||delta|| = 4, 2, 1 -> three steps: 4 -> 2 -> 1 -> 0.5.
    # Example 1: ||delta|| = 0.5 < 0.6 -> no step.
    assert out.steps.tolist() == [3, 0]
    torch.testing.assert_close(out.hidden_states, torch.tensor([[[0.5, 0.0]], [[0.5, 0.0]]]))
    # Fixed steps apply exactly that many updates, with no early stop.
    fixed = model(h, steps=torch.tensor([1, 2]))
    torch.testing.assert_close(fixed.hidden_states, torch.tensor([[[2.0, 0.0]], [[0.125, 0.0]]]))
    assert fixed.steps.tolist() == [1, 2]


def spec_refinement(model: LCRRefinement, h: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
    """The spec's iteration written out directly: h <- h + alpha * w_down(relu(w_up(h))) with
    the per-example early stop on the mean norm of delta over real tokens."""
    c = model.config
    out, taken = h.clone(), []
    for i in range(h.shape[0]):
        real = mask[i].bool()
        x, n = h[i, real], 0
        for _ in range(c.t_max):
            delta = model.w_down(torch.relu(model.w_up(x)))
            if delta.norm(dim=-1).mean() < c.epsilon:
                break
            x, n = x + c.alpha * delta, n + 1
        out[i, real] = x
        taken.append(n)
    return out, taken


def test_refinement_equals_the_direct_iteration_and_follows_weight_updates():
    torch.manual_seed(0)
    model = LCRRefinement(LCRRefinementConfig(hidden_size=16, bottleneck_size=6, alpha=0.3, t_max=3, epsilon=0.5))
    with torch.no_grad():
        model.w_up.weight.normal_(0, 0.5)
        model.w_down.weight.copy_(-model.w_up.weight.T)  # contracting: the examples stop after 1 or 2 steps
    h = torch.randn(4, 5, 16)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 0]])
    with torch.no_grad():
        expected, steps = spec_refinement(model, h, mask)
        out = model(h, attention_mask=mask)
    assert out.steps.tolist() == steps == [2, 1, 2, 2]
    torch.testing.assert_close(out.hidden_states, expected, rtol=1e-5, atol=1e-5)
    # The bottleneck products are cached between calls; an in-place update must refresh them.
    with torch.no_grad():
        model.w_down.weight.mul_(-1.5)
        expected, steps = spec_refinement(model, h, mask)
        out = model(h, attention_mask=mask)
    assert out.steps.tolist() == steps
    torch.testing.assert_close(out.hidden_states, expected, rtol=1e-5, atol=1e-5)
    # With gradients, the refined states and step norms are differentiable in the weights.
    out = model(h, attention_mask=mask, steps=torch.tensor([3, 3, 3, 3]))
    (out.hidden_states.square().sum() + out.step_norms.sum()).backward()
    assert all(torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0 for p in model.parameters())


def test_refinement_leaves_padding_and_zero_weights_untouched():
    model = LCRRefinement(LCRRefinementConfig(hidden_size=8, bottleneck_size=4, epsilon=0.0))
    h = torch.randn(2, 4, 8)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]])
    out = model(h, attention_mask=mask)
    assert torch.equal(out.hidden_states[0, 2:], h[0, 2:])
    # Zero weights: delta = 0 is below the default epsilon, so nothing moves and no step counts.
    zero = LCRRefinement(LCRRefinementConfig(hidden_size=8, bottleneck_size=4))
    torch.nn.init.zeros_(zero.w_down.weight)
    out = zero(h, attention_mask=mask)
    assert torch.equal(out.hidden_states, h) and out.steps.tolist() == [0, 0]


def test_classifier_frozen_head_and_finetuned_encoder(tmp_path):
    head = LCRClassifier(LCRClassifierConfig(hidden_size=8, classifier_hidden_size=4)).eval()
    assert head.encoder is None
    out = head(hidden_states=torch.randn(2, 3, 8), labels=torch.tensor([0, 3]))
    assert out.probabilities.shape == (2, 4) and out.loss > 0
    with pytest.raises(ValueError, match="attach_encoder"):
        head(input_ids=torch.ones(1, 3, dtype=torch.long))
    bert = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16)
    tuned = LCRClassifier(LCRClassifierConfig(hidden_size=8, classifier_hidden_size=4, freeze_encoder=False,
                                              encoder_config=bert.to_dict(), layer_index=2)).eval()
    ids = torch.randint(0, 50, (2, 5))
    before = tuned(input_ids=ids).logits
    tuned.save_pretrained(tmp_path)
    assert any(k.startswith("encoder.") for k in load_file(tmp_path / "model.safetensors"))
    reloaded = AutoModel.from_pretrained(tmp_path).eval()
    torch.testing.assert_close(reloaded(input_ids=ids).logits, before)
    # A frozen head with an attached encoder gives the same as passing its states.
    head2 = LCRClassifier(LCRClassifierConfig(hidden_size=8, classifier_hidden_size=4, layer_index=2)).eval()
    head2.attach_encoder(tuned.encoder)
    states = tuned.encoder(input_ids=ids, output_hidden_states=True).hidden_states[2]
    torch.testing.assert_close(head2(input_ids=ids).logits, head2(hidden_states=states).logits)
    assert not any(k.startswith("encoder") for k in head2.state_dict())


@pytest.mark.parametrize(
    "model",
    [
        LCRDetector(LCRDetectorConfig(hidden_size=8, intermediate_size=4, pooling="documents")),
        LCRRefinement(LCRRefinementConfig(hidden_size=8, bottleneck_size=4)),
        LCRClassifier(LCRClassifierConfig(hidden_size=8, classifier_hidden_size=4)),
    ],
    ids=["detector", "refinement", "classifier"],
)
def test_save_load_round_trip_is_exact(model, tmp_path):
    model.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    reloaded = AutoModel.from_pretrained(tmp_path)
    assert type(reloaded) is type(model)
    for (name, a), (_, b) in zip(model.state_dict().items(), reloaded.state_dict().items()):
        assert torch.equal(a, b), name


def test_shape_mismatch_names_tensor_and_files(tmp_path):
    LCRDetector(LCRDetectorConfig(hidden_size=8, intermediate_size=4)).save_pretrained(tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    data["hidden_size"] = 16
    (tmp_path / "config.json").write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match=r"model.safetensors does not match .*config.json.*'fc1.weight' has shape \(4, 8\)"):
        LCRDetector.from_pretrained(tmp_path)


def test_missing_and_unexpected_tensors_are_errors(tmp_path):
    LCRRefinement(LCRRefinementConfig(hidden_size=8, bottleneck_size=4)).save_pretrained(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    tensors["extra.weight"] = tensors.pop("w_down.weight")
    save_file(tensors, tmp_path / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match=r"missing tensors \['w_down.weight'\].*unexpected tensors \['extra.weight'\]"):
        AutoModel.from_pretrained(tmp_path)


def test_strict_is_the_deprecated_name_of_require_pinned(tmp_path):
    import warnings

    LCRRefinement(LCRRefinementConfig(hidden_size=8, bottleneck_size=4)).save_pretrained(tmp_path)
    with pytest.warns(FutureWarning, match=r"strict=\.\.\.\) is deprecated.*require_pinned=") as caught:
        model = LCRRefinement.from_pretrained(tmp_path, strict=True)
    assert isinstance(model, LCRRefinement)
    assert [w.filename for w in caught if w.category is FutureWarning] == [__file__]  # points at the caller
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        assert isinstance(LCRRefinement.from_pretrained(tmp_path, require_pinned=True), LCRRefinement)


def _windowed_detector() -> LCRDetector:
    torch.manual_seed(0)
    config = LCRDetectorConfig(hidden_size=8, intermediate_size=4, attention_hidden_size=4, pooling="documents",
                               mixing_layers=1, num_attention_heads=2, mixing_intermediate_size=16,
                               input_mode="windows")
    return LCRDetector(config).eval()


def test_windowed_detector_mixes_within_windows_and_pools_documents_over_all_windows():
    model = _windowed_detector()
    # Two rows: row 0 has document 0 in two windows and document 1 in one; row 1 one window.
    x = torch.randn(2, 3, 4, 8)
    mask = torch.tensor([[[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]], [[1, 1, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]]])
    documents = torch.tensor([[[-1, 0, 0, -1], [-1, 0, -1, -1], [-1, 1, 1, 1]],
                              [[-1, 0, 0, -1], [-1, -1, -1, -1], [-1, -1, -1, -1]]])
    with torch.no_grad():
        out = model(x, attention_mask=mask, document_mask=documents)
        mixed, _, _ = model._mix_windows(x, mask.float(), documents)
        # Block-diagonal: changing window 2 of row 0 leaves windows 0 and 1 as they were.
        changed = x.clone()
        changed[0, 2] += 1.0
        mixed_changed, _, _ = model._mix_windows(changed, mask.float(), documents)
        last_doc = model(changed, attention_mask=mask, document_mask=documents)
    assert torch.isfinite(out.logits).all() and out.pair_logits.shape == (2, 1)
    torch.testing.assert_close(mixed_changed[0, :8], mixed[0, :8])
    assert not torch.allclose(mixed_changed[0, 8:], mixed[0, 8:])
    # Changing only the last document's window changes row 0's decision, not row 1's.
    assert not torch.allclose(last_doc.logits[0], out.logits[0])
    torch.testing.assert_close(last_doc.logits[1], out.logits[1])


def test_query_attention_scores_document_tokens_against_the_query():
    torch.manual_seed(0)
    shape = dict(hidden_size=8, intermediate_size=4, attention_hidden_size=4, pooling="documents", input_mode="windows")
    query_model = LCRDetector(LCRDetectorConfig(document_attention="query", **shape)).eval()
    tokens_model = LCRDetector(LCRDetectorConfig(**shape)).eval()
    with torch.no_grad():  # weights large enough for the query term to matter
        for p in query_model.parameters():
            p.normal_(0, 1)
    q = -2  # QUERY_TOKEN_INDEX
    x = torch.randn(1, 2, 5, 8)
    mask = torch.ones(1, 2, 5)
    documents = torch.tensor([[[-1, q, -1, 0, 0], [-1, q, -1, 1, 1]]])
    other_query = x.clone()
    other_query[0, :, 1] = torch.randn(2, 8)
    with torch.no_grad():
        out = query_model(x, attention_mask=mask, document_mask=documents)
        changed = query_model(other_query, attention_mask=mask, document_mask=documents)
        plain = tokens_model(x, attention_mask=mask, document_mask=documents)
        plain_changed = tokens_model(other_query, attention_mask=mask, document_mask=documents)
        flat, flat_mask, flat_docs = x.reshape(1, 10, 8), mask.reshape(1, 10), documents.reshape(1, 10)
        scores = query_model._query_scores(flat, flat_mask, flat_docs)
    # Hand computation: keys . projected mean of the two windows' query states / sqrt(4).
    pooled = x[0, :, 1].mean(0)
    keys = query_model.key_projection(flat[0])
    expected = keys @ query_model.query_projection(pooled) / 2.0
    torch.testing.assert_close(scores[0], expected)
    # Another question moves the query model's attention (and its logit); without mixing
    # layers, the token model never reads the query's states.
    assert not torch.allclose(changed.logits, out.logits)
    torch.testing.assert_close(plain_changed.logits, plain.logits)
    assert set(query_model.state_dict()) - set(tokens_model.state_dict()) == {
        "query_projection.weight", "query_projection.bias", "key_projection.weight"}


def test_windowed_input_equals_the_joint_input_of_one_window():
    model = _windowed_detector()
    x, mask = torch.randn(1, 5, 8), torch.ones(1, 5)
    documents = torch.tensor([[-1, 0, 0, 1, 1]])
    with torch.no_grad():
        joint = model(x, attention_mask=mask, document_mask=documents).logits
        windowed = model(x[:, None], attention_mask=mask[:, None], document_mask=documents[:, None]).logits
    torch.testing.assert_close(joint, windowed)


def test_classifier_reads_every_window():
    torch.manual_seed(0)
    model = LCRClassifier(LCRClassifierConfig(hidden_size=8, classifier_hidden_size=4, input_mode="windows")).eval()
    x, mask = torch.randn(1, 3, 4, 8), torch.ones(1, 3, 4)
    with torch.no_grad():
        before = model(hidden_states=x, attention_mask=mask).logits
        x[0, 2] += 1.0
        after = model(hidden_states=x, attention_mask=mask).logits
    assert not torch.allclose(before, after)
