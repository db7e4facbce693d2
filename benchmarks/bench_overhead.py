#!/usr/bin/env python
"""Overhead of the LCR system over the plain base, with the detector firing on every example.

The base is a randomly initialised Llama with Llama-3-8B-sized decoder blocks (hidden 4096,
intermediate 14336, 32 heads / 8 KV heads; 2 blocks by default, a small vocabulary), so
that the refinement (bottleneck 732, t_max 3: all three steps are taken here) and the
detector are measured against blocks of the real size; with 32 blocks their share is 16
times smaller. Both sides run the same left-padded batch on the same machine. Each round
times both sides back to back (plain first in odd rounds, LCR first in even ones) and
gives one ratio per measure; the median over rounds is reported with its range, so that
the machine's speed drifting between rounds (other jobs) cancels out:

- prefill: one forward pass over the prompts with the KV cache (detection and refinement
  inside it on the system side);
- decode: per generated token, one cached forward step (the refinement applied to it);
- overall: ``LCRSystem.generate`` (prompts, tokenization, hooks, greedy generation) against
  ``model.generate`` on the tokenized batch with the same generation settings.

    python benchmarks/bench_overhead.py                  # target: overall ratio <= 1.03
    python benchmarks/bench_overhead.py --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from transformers import DynamicCache

from lcr_hub import LCRDetector, LCRDetectorConfig, LCRRefinement, LCRRefinementConfig, LCRSystem
from lcr_hub._modules.tiny import random_causal_lm, tiny_tokenizer
from lcr_hub.data import SAMPLE_DATA_PATH, load_lcr_dataset
from lcr_hub.encoding.features import CausalLMBase


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def prefill_and_decode(system: LCRSystem, batch: dict, new_tokens: int, hooked: bool) -> tuple[float, float]:
    """Seconds of the prompt pass, and per decode step, on one side."""
    model = system.base.model
    inputs = system.base.model_inputs(batch)

    def run() -> tuple[float, float]:
        cache = DynamicCache(config=model.config)
        out = None

        def prefill():
            nonlocal out
            out = model(**inputs, cache=cache, use_cache=True, logits_to_keep=1)

        t_prefill = timed(prefill)
        mask, positions = inputs["attention_mask"], inputs["position_ids"][:, -1:]
        token = out.logits[:, -1].argmax(-1, keepdim=True)
        start = time.perf_counter()
        for _ in range(new_tokens):
            mask = torch.cat([mask, torch.ones_like(token)], dim=1)
            positions = positions + 1
            out = model(input_ids=token, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True)
            token = out.logits[:, -1].argmax(-1, keepdim=True)
        return t_prefill, (time.perf_counter() - start) / new_tokens

    if hooked:
        with system.attach(batch) as hooks:
            result = run()
        assert bool(hooks.refined.all()), "the detector must fire on every example"
        return result
    return run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=4096)
    parser.add_argument("--intermediate", type=int, default=14336)
    parser.add_argument("--heads", type=int, default=32)
    parser.add_argument("--kv-heads", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--rows-offset", type=int, default=0, help="First sample row of the batch.")
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default torch's); 1 is steadier on a machine shared with other jobs, where a "
                             "descheduled worker thread stalls every small multi-threaded op for milliseconds.")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    tokenizer = tiny_tokenizer(chat_template=True)
    model = random_causal_lm("llama", vocab_size=len(tokenizer), hidden_size=args.hidden,
                             intermediate_size=args.intermediate, num_layers=args.layers, num_heads=args.heads,
                             num_kv_heads=args.kv_heads, max_positions=4096).requires_grad_(False)
    base = CausalLMBase(model=model, tokenizer=tokenizer, name_or_path="random-llama-8b-blocks", revision=None)
    layer = args.layers // 2
    detector = LCRDetector(LCRDetectorConfig(hidden_size=args.hidden, layer_index=layer, threshold=0.0))
    refinement = LCRRefinement(LCRRefinementConfig(hidden_size=args.hidden, layer_index=layer))
    system = LCRSystem(base, detector, refinement)

    rows = load_lcr_dataset(SAMPLE_DATA_PATH).to_list()[args.rows_offset:args.rows_offset + args.batch_size]
    batch = system.tokenize(system.prompts(rows), args.new_tokens)
    config = system.generation_config(args.new_tokens)
    config.min_new_tokens = args.new_tokens  # same length on both sides whatever the random model says
    device = base.device
    plain_inputs = {"input_ids": batch["input_ids"].to(device), "attention_mask": batch["attention_mask"].to(device)}
    print(f"base: {args.layers} Llama blocks, hidden {args.hidden}, intermediate {args.intermediate}, "
          f"{args.heads}/{args.kv_heads} heads, vocab {len(tokenizer)}; {sum(p.numel() for p in model.parameters()):,} "
          f"parameters; layer_index {layer}; torch threads {torch.get_num_threads()}")
    print(f"batch: {tuple(batch['input_ids'].shape)} (prompt tokens {int(batch['attention_mask'].sum())}), "
          f"{args.new_tokens} new tokens")

    def measure(hooked: bool) -> dict[str, float]:
        prefill, decode = prefill_and_decode(system, batch, args.new_tokens, hooked=hooked)
        if hooked:
            results.clear()
            overall = timed(lambda: results.extend(
                system.generate(rows, max_new_tokens=args.new_tokens, batch_size=args.batch_size)))
        else:
            overall = timed(lambda: model.generate(**plain_inputs, generation_config=config))
        return {"prefill": prefill, "decode": decode, "overall": overall}

    results: list = []
    ratios: dict[str, list[float]] = {"prefill": [], "decode": [], "overall": []}
    with torch.inference_mode():
        prefill_and_decode(system, batch, 2, hooked=False)  # warm-up
        for round_ in range(args.rounds):
            if round_ % 2 == 0:
                plain, lcr = measure(False), measure(True)
            else:
                lcr, plain = measure(True), measure(False)
            for key in ratios:
                ratios[key].append(lcr[key] / plain[key])
            print(f"round {round_ + 1}: " + ", ".join(
                f"{key} plain {plain[key]:.3f}s LCR {lcr[key]:.3f}s ratio {lcr[key] / plain[key]:.4f}" for key in ratios),
                flush=True)
    assert all(r.route == "refine" for r in results), "every example must be refined"
    assert all(r.tokens_generated == args.new_tokens for r in results), "both sides must generate as many tokens"
    print(f"refinement steps per example: {[r.refinement_steps for r in results]} (t_max {refinement.config.t_max})")
    # The arithmetic floor, per token (weight matrices only; attention scores add to the base's side).
    hidden, bottleneck, steps = args.hidden, refinement.config.bottleneck_size, refinement.config.t_max
    base_macs = sum(p.numel() for name, p in model.named_parameters() if p.dim() == 2 and "embed" not in name)
    refine_macs = 2 * hidden * bottleneck + steps * 2 * bottleneck * bottleneck
    direct_macs = steps * 2 * hidden * bottleneck
    print(f"multiply-adds per token: base {base_macs:,}; refinement, {steps} steps in the bottleneck {refine_macs:,} "
          f"({refine_macs / base_macs:.2%} of the base; the direct iteration would take {direct_macs:,}, "
          f"{direct_macs / base_macs:.2%})")
    labels = {"prefill": "prefill", "decode": "decode per token", "overall": f"overall ({args.new_tokens} tokens)"}
    for key, values in ratios.items():
        target = " (target <= 1.03)" if key == "overall" else ""
        print(f"{labels[key]}: median ratio {statistics.median(values):.4f} over {len(values)} rounds "
              f"(range {min(values):.4f}-{max(values):.4f}){target}")


if __name__ == "__main__":
    main()
