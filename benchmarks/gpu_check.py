#!/usr/bin/env python
"""GPU check of the LCR system: fp16/bf16 placement and a real ``device_map="auto"`` run.

Prepared for a machine with one or more CUDA GPUs (it exits 2 without one). On a random
tiny Llama and GPT-2 (built here, nothing downloaded) it checks, for float16 and
bfloat16 loaded with ``device_map="auto"``:

1. the detector and refinement sit on the hooked block's device and take its dtype;
2. zero refinement weights give the plain model's greedy tokens;
3. generation with and without the KV cache agree with refinement on;
4. with two or more GPUs, a ``max_memory`` split across them puts blocks on different
   GPUs and gives the single-GPU tokens.

With ``--base ID_OR_DIR`` (e.g. a local copy of Meta-Llama-3-8B-Instruct) it also loads that
model with ``device_map="auto"`` in bfloat16, builds a system with random LCR parts at
``num_hidden_layers // 2`` and generates a few tokens, printing the placement and timings.
Prints one JSON line per check and exits 1 if any failed.

    python benchmarks/gpu_check.py
    python benchmarks/gpu_check.py --base meta-llama/Meta-Llama-3-8B-Instruct
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from lcr_hub import LCRDetector, LCRDetectorConfig, LCRRefinement, LCRRefinementConfig, LCRSystem
from lcr_hub._modules.hooks import hooked_block
from lcr_hub._modules.placement import execution_device
from lcr_hub._modules.tiny import save_tiny_base
from lcr_hub.encoding.features import load_causal_base

ROWS = [
    {"query": "When did the Harbour Line open?", "documents": [
        {"text": "The Harbour Line opened to passengers in 1911 after six years of work."},
        {"text": "Local papers reported the Harbour Line's opening in 1914."}]},
    {"query": "How long is the bridge?", "documents": [
        {"text": "The bridge is 412 metres long."}, {"text": "It spans 380 metres."},
        {"text": "Its towers were painted red."}]},
]


def parts(hidden: int, layer: int, *, zero: bool = False, epsilon: float = 0.01):
    torch.manual_seed(0)
    detector = LCRDetector(LCRDetectorConfig(hidden_size=hidden, layer_index=layer, threshold=0.0))
    refinement = LCRRefinement(LCRRefinementConfig(hidden_size=hidden, layer_index=layer, epsilon=epsilon))
    if zero:
        with torch.no_grad():
            refinement.w_up.weight.zero_()
    return detector, refinement


def greedy(system: LCRSystem, hooked: bool, use_cache: bool = True, new_tokens: int = 6) -> torch.Tensor:
    batch = system.tokenize(system.prompts(ROWS), new_tokens)
    inputs = {k: batch[k].to(system.base.device) for k in ("input_ids", "attention_mask")}
    config = system.generation_config(new_tokens, use_cache=use_cache)
    with torch.inference_mode():
        if not hooked:
            return system.base.model.generate(**inputs, generation_config=config).cpu()
        with system.attach(batch):
            return system.base.model.generate(**inputs, generation_config=config).cpu()


def report(name: str, ok: bool, **details) -> bool:
    print(json.dumps({"check": name, "ok": bool(ok), **details}, default=str), flush=True)
    return bool(ok)


def tiny_checks(folder: Path, family: str, dtype: torch.dtype) -> list[bool]:
    results = []
    base = load_causal_base(str(folder), dtype=dtype, device_map="auto")
    hidden, layer = base.model.config.hidden_size, 2
    system = LCRSystem(base, *parts(hidden, layer, epsilon=0.0))
    block = hooked_block(base.model, layer)
    where = execution_device(block)
    results.append(report(f"{family}/{dtype}: parts on the hooked block", system.refinement.device == where
                          and system.detector.device == where and system.refinement.dtype == dtype
                          and system.detector.dtype == dtype and where.type == "cuda",
                          block_device=where, refinement=(system.refinement.device, system.refinement.dtype)))
    cached, uncached = greedy(system, True, True), greedy(system, True, False)
    results.append(report(f"{family}/{dtype}: KV cache on == off with refinement", torch.equal(cached, uncached)))
    zero = LCRSystem(base, *parts(hidden, layer, zero=True))
    results.append(report(f"{family}/{dtype}: zero refinement == plain generate",
                          torch.equal(greedy(zero, True), greedy(zero, False))))
    answers = [r.answer for r in system.generate(ROWS, max_new_tokens=6)]
    if torch.cuda.device_count() >= 2:
        per_gpu = max(sum(p.numel() * p.element_size() for p in base.model.parameters()) // 2, 1)
        split = load_causal_base(str(folder), dtype=dtype, device_map="auto",
                                 max_memory={0: per_gpu, 1: per_gpu * 4, "cpu": "1GiB"})
        devices = sorted({str(execution_device(b)) for b in split.model.model.layers} if family == "llama"
                         else {str(execution_device(b)) for b in split.model.transformer.h})
        split_system = LCRSystem(split, *parts(hidden, layer, epsilon=0.0))
        got = [r.answer for r in split_system.generate(ROWS, max_new_tokens=6)]
        results.append(report(f"{family}/{dtype}: max_memory split over GPUs == one GPU",
                              len(devices) >= 2 and got == answers, block_devices=devices,
                              device_map=split.model.hf_device_map))
    return results


def real_base_check(name: str, new_tokens: int) -> bool:
    start = time.perf_counter()
    base = load_causal_base(name, dtype=torch.bfloat16, device_map="auto")
    loaded = time.perf_counter() - start
    config = base.model.config.get_text_config()
    layer = config.num_hidden_layers // 2
    system = LCRSystem(base, *parts(config.hidden_size, layer))
    start = time.perf_counter()
    results = system.generate(ROWS, max_new_tokens=new_tokens)
    generated = time.perf_counter() - start
    where = execution_device(hooked_block(base.model, layer))
    return report(f"{name}: device_map=auto, bfloat16", system.refinement.device == where
                  and system.refinement.dtype == torch.bfloat16,
                  device_map=sorted(set(map(str, getattr(base.model, "hf_device_map", {"": where}).values()))),
                  hooked_block=where,
                  load_s=round(loaded, 1), generate_s=round(generated, 2),
                  routes=[r.route for r in results], steps=[r.refinement_steps for r in results],
                  answers=[r.answer for r in results], gpu_memory_gib=[
                      round(torch.cuda.max_memory_allocated(i) / 2**30, 2) for i in range(torch.cuda.device_count())])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="A real causal LM (Hub id or folder) to run with device_map='auto' in bfloat16.")
    parser.add_argument("--new-tokens", type=int, default=16)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("gpu_check: no CUDA device; run it on a machine with a GPU.", file=sys.stderr)
        return 2
    print(json.dumps({"gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
                      "torch": torch.__version__, "cuda": torch.version.cuda}), flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for family in ("llama", "gpt2"):
            folder = save_tiny_base(Path(tmp) / family, family, hidden_size=64, intermediate_size=128,
                                    num_layers=4, initializer_range=0.2)
            for dtype in (torch.float16, torch.bfloat16):
                results += tiny_checks(folder, family, dtype)
    if args.base:
        results.append(real_base_check(args.base, args.new_tokens))
    print(json.dumps({"passed": sum(results), "failed": len(results) - sum(results)}))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
