"""LCRSystem on tiny random Llama and GPT-2 models built in the tests (never downloaded)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM

from lcr_hub import LCRClassifier, LCRClassifierConfig, LCRDetector, LCRDetectorConfig, LCRRefinement, LCRRefinementConfig, LCRSystem
from lcr_hub.errors import ConfigError
from lcr_hub._modules.placement import decoder_blocks
from lcr_hub.constants import ROUTE_PLAIN, ROUTE_REFINE, ROUTE_SELF_CONSISTENCY
from lcr_hub.encoding.features import load_causal_base
from lcr_hub.system import majority_answer, normalize_answer
from lcr_hub.encoding import length_sorted_batches

FAMILIES = ["llama", "gpt2"]
LAYER = 2
T_MAX = 6


def make_parts(hidden: int, *, threshold: float = 0.0, pooling: str = "mean", epsilon: float = 0.01,
               zero: bool = False) -> tuple[LCRDetector, LCRRefinement]:
    """A detector whose probabilities spread out, and a contracting refinement.

    The refinement is ``delta = -0.5 W^T relu(W h)``: each step shrinks ``relu(W h)``, so
    the mean ``||delta||`` falls step after step and the early stop ends rows at
    different steps.
    """
    torch.manual_seed(1)
    detector = LCRDetector(LCRDetectorConfig(hidden_size=hidden, intermediate_size=16, attention_hidden_size=8,
                                             pooling=pooling, layer_index=LAYER, threshold=threshold))
    refinement = LCRRefinement(LCRRefinementConfig(hidden_size=hidden, bottleneck_size=16, layer_index=LAYER,
                                                   t_max=T_MAX, epsilon=epsilon))
    with torch.no_grad():
        detector.fc2.weight.mul_(2000.0)
        w = torch.randn(16, hidden) * 0.3
        refinement.w_up.weight.copy_(w)
        refinement.w_down.weight.copy_(-0.5 * w.T)
        if zero:
            refinement.w_up.weight.zero_()
            refinement.w_down.weight.zero_()
    return detector, refinement


def make_system(folder, **kwargs) -> LCRSystem:
    base = load_causal_base(str(folder))
    detector, refinement = make_parts(base.model.config.hidden_size, **kwargs)
    return LCRSystem(base, detector, refinement, classifier=kwargs.get("classifier"))


def forward(system: LCRSystem, batch: dict, **kwargs):
    """One forward pass with the positions generation uses (left padding)."""
    return system.base.model(**system.base.model_inputs(batch), **kwargs)


def plain_hidden_states(system: LCRSystem, batch: dict) -> torch.Tensor:
    return forward(system, batch, output_hidden_states=True).hidden_states[LAYER]


def plain_generate(system: LCRSystem, batch: dict, max_new_tokens: int, use_cache: bool = True) -> torch.Tensor:
    return system.base.model.generate(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
        generation_config=system.generation_config(max_new_tokens, use_cache=use_cache),
    )


def hooked_generate(system, batch, max_new_tokens, use_cache=True):
    with system.attach(batch) as hooks:
        sequences = plain_generate(system, batch, max_new_tokens, use_cache)
    return sequences, hooks


def hand_steps(refinement: LCRRefinement, states: torch.Tensor, epsilon: float) -> int:
    """The spec's early stop, written out: step while the mean ||delta|| over real tokens >= epsilon."""
    h, taken = states, 0
    for _ in range(refinement.config.t_max):
        delta = refinement.w_down(torch.relu(refinement.w_up(h)))
        if float(delta.norm(dim=-1).mean()) < epsilon:
            break
        h = h + refinement.config.alpha * delta
        taken += 1
    return taken


def norm_trajectories(refinement, rows_states) -> list[list[float]]:
    out = []
    for states in rows_states:
        h, norms = states, []
        for _ in range(refinement.config.t_max):
            delta = refinement.w_down(torch.relu(refinement.w_up(h)))
            norms.append(float(delta.norm(dim=-1).mean()))
            h = h + refinement.config.alpha * delta
        out.append(norms)
    return out


def epsilon_with_varied_steps(refinement, rows_states) -> float:
    """An epsilon far (relatively) from every mean norm that gives the rows the most varied step counts."""
    norms = sorted(n for row in norm_trajectories(refinement, rows_states) for n in row)
    best, best_key = None, None
    for a, b in zip(norms, norms[1:]):
        if b - a < 1e-3 * b:
            continue
        eps = (a + b) / 2
        steps = [hand_steps(refinement, s, eps) for s in rows_states]
        key = (len(set(steps)), (b - a) / b)
        if best_key is None or key > best_key:
            best, best_key = eps, key
    return best


# --------------------------------------------------------------------------- identity when nothing changes


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("epsilon", [0.01, 0.0])
def test_zero_refinement_gives_identical_logits_and_tokens(tiny_bases, short_rows, family, epsilon):
    # epsilon 0 makes every row take all T_MAX steps (of a zero delta); 0.01 stops them at once.
    system = make_system(tiny_bases[family], zero=True, epsilon=epsilon)
    batch = system.tokenize(system.prompts(short_rows))
    plain_logits = forward(system, batch).logits
    with system.attach(batch) as hooks:
        logits = forward(system, batch).logits
    assert hooks.fired.all() and hooks.refined.all()
    assert hooks.steps.tolist() == [T_MAX if epsilon == 0 else 0] * len(short_rows)
    assert torch.equal(logits, plain_logits)
    sequences, _ = hooked_generate(system, batch, 6)
    assert torch.equal(sequences, plain_generate(system, batch, 6))


@pytest.mark.parametrize("family", FAMILIES)
def test_detector_below_threshold_is_plain_generate(tiny_bases, short_rows, family):
    system = make_system(tiny_bases[family], threshold=1.0)  # sigmoid < 1 in float32 for these logits
    batch = system.tokenize(system.prompts(short_rows))
    sequences, hooks = hooked_generate(system, batch, 6)
    assert not hooks.fired.any()
    plain = plain_generate(system, batch, 6)
    assert torch.equal(sequences, plain)
    results = system.generate(short_rows, max_new_tokens=6, batch_size=4)
    texts = [system.base.tokenizer.decode(row[batch["input_ids"].shape[1]:], skip_special_tokens=True).strip()
             for row in plain]
    assert [r.answer for r in results] == texts
    assert {r.route for r in results} == {ROUTE_PLAIN} and {r.refinement_steps for r in results} == {0}
    assert all(not r.detected and r.level is None for r in results)


# --------------------------------------------------------------------------- detection and per-example refinement


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("pooling", ["mean", "documents"])
def test_detector_reads_hidden_states_at_layer_index(tiny_bases, short_rows, family, pooling):
    system = make_system(tiny_bases[family], pooling=pooling)
    batch = system.tokenize(system.prompts(short_rows))
    assert batch["document_mask"].max() == 3  # the fourth document of row s3 is located in the prompt
    expected = system.detector(plain_hidden_states(system, batch), attention_mask=batch["attention_mask"],
                               document_mask=batch["document_mask"]).probabilities
    with system.attach(batch) as hooks:
        forward(system, batch)
    torch.testing.assert_close(hooks.probabilities, expected.float(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("family", FAMILIES)
def test_mixed_batch_refines_only_fired_rows_with_hand_computed_steps(tiny_bases, short_rows, family):
    system = make_system(tiny_bases[family])
    batch = system.tokenize(system.prompts(short_rows))
    mask = batch["attention_mask"]
    states = plain_hidden_states(system, batch)
    probabilities = system.detector(states, attention_mask=mask).probabilities
    system.detector.config.threshold = float(probabilities.sort().values[1:3].mean())  # two rows fire
    fired = probabilities >= system.detector.config.threshold
    assert fired.sum() == 2
    rows_states = [states[i][mask[i] > 0] for i in range(len(short_rows))]
    epsilon = epsilon_with_varied_steps(system.refinement, [rows_states[i] for i in range(4) if fired[i]])
    system.refinement.config.epsilon = epsilon
    expected_steps = [hand_steps(system.refinement, rows_states[i], epsilon) if fired[i] else 0 for i in range(4)]
    assert len({s for s, f in zip(expected_steps, fired) if f}) == 2, expected_steps  # the early stop differs

    plain_logits = forward(system, batch).logits
    with system.attach(batch) as hooks:
        logits = forward(system, batch).logits
    assert hooks.fired.tolist() == fired.tolist()
    assert hooks.steps.tolist() == expected_steps
    for i in range(4):
        assert torch.equal(logits[i], plain_logits[i]) == (not fired[i])

    results = system.generate(short_rows, max_new_tokens=4, batch_size=4)
    assert [r.refinement_steps for r in results] == expected_steps
    assert [r.route for r in results] == [ROUTE_REFINE if f else ROUTE_PLAIN for f in fired.tolist()]
    np.testing.assert_allclose([r.conflict_probability for r in results], probabilities.tolist(), atol=1e-6)


@pytest.mark.parametrize("family", FAMILIES)
def test_generation_with_and_without_kv_cache_agree_with_refinement_on(tiny_bases, short_rows, family):
    system = make_system(tiny_bases[family], epsilon=0.0)
    batch = system.tokenize(system.prompts(short_rows))
    cached, hooks = hooked_generate(system, batch, 5, use_cache=True)
    assert hooks.steps.tolist() == [T_MAX] * 4 and hooks.calls == 5
    uncached, hooks_uncached = hooked_generate(system, batch, 5, use_cache=False)
    assert hooks_uncached.calls == 5
    assert torch.equal(cached, uncached)
    assert not torch.equal(cached, plain_generate(system, batch, 5))  # the refinement does change the answer


# --------------------------------------------------------------------------- hooks never leak


def hook_counts(model) -> tuple[int, int]:
    return len(model._forward_pre_hooks), sum(len(block._forward_hooks) for block in decoder_blocks(model))


@pytest.mark.parametrize("family", FAMILIES)
def test_hooks_are_removed_after_a_call_and_after_an_exception(tiny_bases, short_rows, family, monkeypatch):
    system = make_system(tiny_bases[family], epsilon=0.0)
    model = system.base.model
    batch = system.tokenize(system.prompts(short_rows))
    before = hook_counts(model)
    reference = forward(system, batch).logits

    system.generate(short_rows, max_new_tokens=3)
    assert hook_counts(model) == before
    assert torch.equal(forward(system, batch).logits, reference)

    def broken(*args, **kwargs):
        raise RuntimeError("detector failed")

    monkeypatch.setattr(system.detector, "forward", broken)
    with pytest.raises(RuntimeError, match="detector failed"):
        system.generate(short_rows, max_new_tokens=3)
    assert hook_counts(model) == before
    assert torch.equal(forward(system, batch).logits, reference)


# --------------------------------------------------------------------------- placement


@pytest.mark.parametrize("family", FAMILIES)
def test_device_maps_give_the_single_device_outputs(tiny_bases, short_rows, family, tmp_path):
    folder = tiny_bases[family]
    single = make_system(folder, epsilon=0.0)
    expected = single.generate(short_rows, max_new_tokens=5, batch_size=4)
    prefix = "model" if family == "llama" else "transformer"
    blocks = [f"{prefix}.layers.{i}" if family == "llama" else f"{prefix}.h.{i}" for i in range(4)]
    rest = ["model.embed_tokens", "model.norm", "model.rotary_emb", "lm_head"] if family == "llama" else \
        ["transformer.wte", "transformer.wpe", "transformer.ln_f", "lm_head"]
    hooked = blocks[LAYER - 1]
    placements = {  # Accelerate dispatches both: weights mapped to "disk" load from the offload folder per call
        "hooked block and the ones above on disk": {**{name: "cpu" for name in rest + blocks[:LAYER - 1]},
                                                    **{name: "disk" for name in blocks[LAYER - 1:]}},
        "hooked block on cpu, its neighbours on disk": {**{name: "cpu" for name in rest + [hooked]},
                                                        **{name: "disk" for name in blocks if name != hooked}},
    }
    for label, device_map in placements.items():
        base = load_causal_base(str(folder), device_map=device_map, offload_folder=str(tmp_path / label))
        assert base.model.hf_device_map == device_map, label
        system = LCRSystem(base, *make_parts(base.model.config.hidden_size, epsilon=0.0))
        assert system.refinement.device.type == "cpu" and system.refinement.dtype == torch.float32
        got = system.generate(short_rows, max_new_tokens=5, batch_size=4)
        assert [r.answer for r in got] == [r.answer for r in expected], label
        assert [r.refinement_steps for r in got] == [r.refinement_steps for r in expected], label
        np.testing.assert_allclose([r.conflict_probability for r in got],
                                   [r.conflict_probability for r in expected], atol=1e-6)


def test_parts_follow_the_dtype_of_the_hooked_block(tiny_bases):
    base = load_causal_base(str(tiny_bases["llama"]), dtype=torch.bfloat16)
    system = LCRSystem(base, *make_parts(base.model.config.hidden_size))
    assert system.detector.dtype == torch.bfloat16 and system.refinement.dtype == torch.bfloat16


# --------------------------------------------------------------------------- routing


def make_classifier(folder, tokenizer, level: int, confidence_logit: float, samples: int = 3) -> LCRClassifier:
    """A fine-tuned-style classifier (tiny BERT) whose output is the same for every input."""
    from transformers import BertConfig

    encoder = BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32, max_position_embeddings=512)
    config = LCRClassifierConfig(hidden_size=16, classifier_hidden_size=8, freeze_encoder=False, layer_index=1,
                                 encoder_config=encoder.to_dict(), self_consistency_samples=samples)
    model = LCRClassifier(config)
    with torch.no_grad():
        model.out_proj.weight.zero_()
        model.out_proj.bias.zero_()
        model.out_proj.bias[level] = confidence_logit
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return LCRClassifier.from_pretrained(folder)


def test_routing_rule_follows_the_classifier_config(tiny_bases, tmp_path):
    base = load_causal_base(str(tiny_bases["llama"]))
    classifier = make_classifier(tmp_path / "clf", base.tokenizer, level=0, confidence_logit=5.0)
    system = LCRSystem(base, *make_parts(base.model.config.hidden_size), classifier=classifier)
    probabilities = np.array([
        [0.90, 0.05, 0.03, 0.02],  # L1, confident -> refine
        [0.05, 0.70, 0.20, 0.05],  # L2 at exactly 0.7 -> refine
        [0.60, 0.20, 0.10, 0.10],  # L1 but unsure -> self-consistency
        [0.05, 0.05, 0.85, 0.05],  # L3 -> self-consistency
    ])
    assert system.refine_allowed(probabilities).tolist() == [True, True, False, False]


@pytest.mark.parametrize("level, route", [(0, ROUTE_REFINE), (2, ROUTE_SELF_CONSISTENCY)])
def test_generate_routes_detected_conflicts(tiny_bases, short_rows, tmp_path, level, route):
    base = load_causal_base(str(tiny_bases["llama"]))
    classifier = make_classifier(tmp_path / "clf", base.tokenizer, level=level, confidence_logit=5.0)
    system = LCRSystem(base, *make_parts(base.model.config.hidden_size, epsilon=0.0), classifier=classifier)
    batch = system.tokenize(system.prompts(short_rows))
    probabilities = system.detector(plain_hidden_states(system, batch), attention_mask=batch["attention_mask"]).probabilities
    system.detector.config.threshold = float(probabilities.sort().values[1:3].mean())
    fired = (probabilities >= system.detector.config.threshold).tolist()

    results = system.generate(short_rows, max_new_tokens=4, batch_size=4, seed=7)
    assert [r.route for r in results] == [route if f else ROUTE_PLAIN for f in fired]
    assert {r.level for r in results} == {classifier.config.id2label[level]}
    assert all(abs(r.level_confidence - np.exp(5) / (np.exp(5) + 3)) < 1e-5 for r in results)
    plain = plain_generate(system, batch, 4)
    prompt_length = batch["input_ids"].shape[1]
    for i, r in enumerate(results):
        if r.route == ROUTE_PLAIN:  # untouched rows: the plain model's greedy answer
            assert r.answer == base.tokenizer.decode(plain[i, prompt_length:], skip_special_tokens=True).strip()
            assert r.tokens_generated == 4 and r.samples == []
        elif r.route == ROUTE_REFINE:
            assert r.refinement_steps == T_MAX and r.samples == []
        else:  # k samples of the plain model at temperature 0.7, majority vote; first pass stopped after 1 token
            assert r.refinement_steps == 0 and len(r.samples) == 3
            torch.manual_seed(7)  # the system samples its rows in its batch order (longest prompt first)
            order = length_sorted_batches([len(p.text) for p in system.prompts(short_rows)], 4)[0]
            rows = torch.tensor([j for j in order if fired[j]])
            drawn = base.model.generate(input_ids=batch["input_ids"][rows], attention_mask=batch["attention_mask"][rows],
                                        generation_config=system.generation_config(4, sample=True))
            k = rows.tolist().index(i)
            mine = drawn[3 * k:3 * k + 3, prompt_length:]
            texts = [base.tokenizer.decode(s, skip_special_tokens=True).strip() for s in mine]
            assert r.samples == texts and r.answer == majority_answer(texts)
            assert r.tokens_generated == 1 + sum(system._decode(mine)[1])


def test_majority_vote_over_normalised_answers():
    assert normalize_answer("  The Harbour-Line, 1911! ") == "harbourline 1911"
    assert majority_answer(["In 1911.", "1914", "in 1911", "1914."]) == "In 1911."  # tie: earliest wins
    assert majority_answer(["a", "B", "the b"]) == "B"


# --------------------------------------------------------------------------- configuration errors


def test_mismatched_parts_are_refused(tiny_bases):
    base = load_causal_base(str(tiny_bases["gpt2"]))
    detector, refinement = make_parts(32)
    with pytest.raises(ConfigError, match="hidden_size"):
        LCRSystem(base, LCRDetector(LCRDetectorConfig(hidden_size=48, layer_index=LAYER)), refinement)
    with pytest.raises(ConfigError, match="one layer"):
        LCRSystem(base, detector, LCRRefinement(LCRRefinementConfig(hidden_size=32, layer_index=1)))
    for layer in (0, 4):
        with pytest.raises(ConfigError, match="1..3"):
            LCRSystem(base, LCRDetector(LCRDetectorConfig(hidden_size=32, layer_index=layer)),
                      LCRRefinement(LCRRefinementConfig(hidden_size=32, layer_index=layer)))



def test_a_moved_base_holding_the_recorded_weights_is_not_warned_about(tiny_bases, caplog):
    base = load_causal_base(str(tiny_bases["llama"]))
    base.revision = "sha256:" + "a" * 64  # as a prepared base records its weights
    detector, refinement = make_parts(32)
    for revision, warned in ((base.revision, False), ("sha256:" + "b" * 64, True)):
        for part in (detector, refinement):
            part.config.base_model_name_or_path, part.config.base_model_revision = "/moved/away", revision
        caplog.clear()
        with caplog.at_level("WARNING", logger="lcr_hub.system"):
            LCRSystem(base, detector, refinement)
        assert ("trained on /moved/away" in caplog.text) == warned

def test_system_loads_from_folders(tiny_bases, short_rows, tmp_path):
    detector, refinement = make_parts(32, epsilon=0.0)
    detector.save_pretrained(tmp_path / "detector")
    refinement.save_pretrained(tmp_path / "refinement")
    system = LCRSystem.from_pretrained(tiny_bases["gpt2"], tmp_path / "detector", tmp_path / "refinement")
    assert isinstance(system.base.model, type(AutoModelForCausalLM.from_pretrained(tiny_bases["gpt2"])))
    results = system.generate(short_rows[:2], max_new_tokens=2)
    assert [r.refinement_steps for r in results] == [T_MAX, T_MAX]


def test_cli_generate_prints_one_json_line_per_row_and_route_totals(tiny_bases, tmp_path, capsys):
    from lcr_hub.cli import main

    detector, refinement = make_parts(32, epsilon=0.0)
    detector.save_pretrained(tmp_path / "detector")
    refinement.save_pretrained(tmp_path / "refinement")
    code = main(["generate", "--base", str(tiny_bases["llama"]), "--detector", str(tmp_path / "detector"),
                 "--refinement", str(tmp_path / "refinement"), "--limit", "3", "--max-new-tokens", "2"])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [line["id"] for line in lines[:3]] == ["sample_l1_001", "sample_l1_002", "sample_l1_003"]
    assert all(line["route"] == ROUTE_REFINE and line["refinement_steps"] == T_MAX for line in lines[:3])
    assert lines[3] == {"routes": {ROUTE_REFINE: {"n": 3, "mean_tokens_generated": 2.0}}}


@pytest.mark.parametrize("family", ["llama"])
def test_generate_results_say_which_documents_disagree(tiny_bases, short_rows, family):
    system = make_system(tiny_bases[family], pooling="documents")
    results = system.generate(short_rows, max_new_tokens=2, batch_size=4)
    for row, result in zip(short_rows, results):
        loc = result.localization
        n = len(row["documents"])
        assert len(loc["pairs"]) == n * (n - 1) // 2 and [d["document"] for d in loc["document_scores"]] == [
            d["doc_id"] for d in row["documents"]]
        # The row's probability is its most conflicting pair's (same logit, same temperature).
        assert loc["conflicting_pair_probability"] == pytest.approx(result.conflict_probability, abs=1e-5)
        assert (loc["disagreeing_document"] is None) == (n < 3)


@pytest.mark.hub
@pytest.mark.slow
def test_system_loads_released_variants_on_the_real_base(smollm2_base, hub_env):
    """Variant names load the releases trained on SmolLM2, pinned and hash-checked, from the loopback Hub."""
    from safetensors.torch import load_file

    from conftest import REPO

    hub_env()
    names = {"detector": "detector/smollm2_135m_instruct", "refinement": "refinement/smollm2_135m_instruct"}
    system = LCRSystem.from_pretrained(smollm2_base, names["detector"], names["refinement"])
    assert system.layer_index == 15
    for part, name in names.items():
        released = load_file(REPO / "released" / name.replace("/", "-").replace("_", "-") / "model.safetensors")
        state = getattr(system, part).state_dict()
        assert released.keys() == state.keys() and all(torch.equal(released[k], state[k]) for k in released)
    with pytest.raises(ConfigError, match="pinned by the registry"):
        LCRSystem.from_pretrained(smollm2_base, names["detector"], names["refinement"], revision="main")
    rows = [{"query": "When was the bridge opened?", "documents": ["It opened in 1894.", "It opened in 1897."]}]
    assert len(system.generate(rows, max_new_tokens=2)) == 1
