"""Answer evaluation: strategies side by side on the same LCR rows, scored on their answers.

``lcr-hub evaluate-answers`` runs an :class:`~lcr_hub.LCRSystem`'s causal LM over LCR rows
with each strategy and scores every answer (:mod:`lcr_hub.evaluation.answer_scoring`):

- ``plain``: greedy generation, no hooks;
- ``refine``: the refinement forced on every row (detector ignored), greedy;
- ``self_consistency``: ``k`` samples at temperature ``T`` (the classifier config's
  ``self_consistency_samples`` / ``self_consistency_temperature``, 8 and 0.7), majority
  vote over normalised answers (:func:`lcr_hub.system.majority_answer`);
- ``hybrid``: the LCR system's routing (:meth:`LCRSystem.refine_allowed` on the classifier's
  level probabilities, the detector's probability on the prompt): not detected -> plain,
  detected and routed to refinement -> refine, else self-consistency;
- ``oracle``: the hybrid with the row's true level as the router.

The hybrid and the oracle are composed per row from the outputs of the strategy their router
picks (the same greedy outputs, the same seeded samples), plus the detector's and the
classifier's own time; their token count follows :meth:`LCRSystem.generate` (a
self-consistency row costs the first pass's one token plus its samples).

Per strategy and level: accuracy and minority rate with 95% bootstrap intervals (rows
resampled), the paired difference against ``plain`` with its interval, generated tokens per
row and seconds per row.
"""

from __future__ import annotations

import time
from typing import Mapping, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from .._modules.hooks import LCRHooks
from ..constants import CONFLICT_LEVELS
from ..encoding.batches import length_sorted_batches
from ..errors import ConfigError
from ..system import LCRSystem, majority_answer
from .answer_scoring import minority_answers, score_answer
from .metrics import bootstrap_intervals

__all__ = ["STRATEGIES", "conflict_probabilities", "run_strategies", "summarize", "routes"]

PLAIN, REFINE, SELF_CONSISTENCY, HYBRID, ORACLE = "plain", "refine", "self_consistency", "hybrid", "oracle"
#: Every strategy, in report order.
STRATEGIES = (PLAIN, REFINE, SELF_CONSISTENCY, HYBRID, ORACLE)
_ROUTED = {HYBRID, ORACLE}


def _generate(
    system: LCRSystem, rows: Sequence[Mapping], *, max_new_tokens: int, batch_size: int, refine: bool,
    sample: bool, seed: int, progress: bool, desc: str,
) -> list[dict]:
    """Per row: ``answer``, ``tokens`` and ``seconds`` (its batch's time divided among its rows)."""
    prompts = system.prompts(rows)
    out: list[dict | None] = [None] * len(rows)
    config = system.generation_config(max_new_tokens, sample=sample)
    k = config.num_return_sequences if sample else 1
    with tqdm(total=len(rows), desc=desc, unit="row", disable=not progress) as bar:
        for number, indices in enumerate(length_sorted_batches([len(p.text) for p in prompts], batch_size)):
            start = time.perf_counter()
            batch = system.tokenize([prompts[i] for i in indices], max_new_tokens)
            device = system.base.device
            inputs = dict(input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device))
            hooks = LCRHooks(system.base.model, system.layer_index, refinement=system.refinement) if refine else None
            with torch.inference_mode(), torch.random.fork_rng():
                torch.manual_seed(seed + number)
                if hooks is None:
                    sequences = system.base.model.generate(**inputs, generation_config=config)
                else:
                    with hooks:
                        sequences = system.base.model.generate(**inputs, generation_config=config)
            texts, lengths = system._decode(sequences[:, inputs["input_ids"].shape[1]:])
            seconds = (time.perf_counter() - start) / len(indices)
            for j, i in enumerate(indices):
                record = {"seconds": seconds, "steps": int(hooks.steps[j]) if hooks is not None else 0}
                if sample:
                    samples = texts[j * k:(j + 1) * k]
                    record.update(answer=majority_answer(samples), tokens=sum(lengths[j * k:(j + 1) * k]), samples=samples)
                else:
                    record.update(answer=texts[j], tokens=lengths[j])
                out[i] = record
            bar.update(len(indices))
    return out  # type: ignore[return-value]


@torch.inference_mode()
def conflict_probabilities(system: LCRSystem, rows: Sequence[Mapping], *, batch_size: int = 8,
                           progress: bool = False) -> tuple[np.ndarray, float]:
    """The detector's conflict probability of each row, and the seconds it took per row.

    The detector reads ``hidden_states[layer_index]`` of the prompt (a forward pass that stops
    at that layer).
    """
    start = time.perf_counter()
    prompts = system.prompts(rows)
    probabilities = np.zeros(len(rows))
    with tqdm(total=len(rows), desc="detector", unit="row", disable=not progress) as bar:
        for indices in length_sorted_batches([len(p.text) for p in prompts], batch_size):
            states, batch = system.base.hidden_states([prompts[i] for i in indices], [system.layer_index])
            h = states[system.layer_index]
            out = system.detector(h.to(system.detector.dtype), attention_mask=batch["attention_mask"].to(h.device),
                                  document_mask=batch["document_mask"].to(h.device))
            probabilities[indices] = out.probabilities.float().cpu().numpy()
            bar.update(len(indices))
    return probabilities, (time.perf_counter() - start) / max(len(rows), 1)


@torch.inference_mode()
def routes(system: LCRSystem, rows: Sequence[Mapping], *, batch_size: int = 8, oracle: bool = False,
           detected: tuple[np.ndarray, float] | None = None) -> list[dict]:
    """The LCR system's route of each row, without generating.

    The router is :meth:`LCRSystem.refine_allowed` on the classifier's level probabilities,
    or, with ``oracle``, the row's true ``conflict_level`` (refined when it is one of the
    classifier config's ``refine_levels``).

    Args:
        detected: :func:`conflict_probabilities` of these rows when already computed (the
            hybrid and the oracle share one detector pass).

    Returns:
        Per row: ``route`` (plain / refine / self_consistency), ``conflict_probability``,
        ``level`` and ``level_confidence`` (the classifier's; the true level with ``oracle``),
        and ``seconds`` (the detector's and classifier's time per row).
    """
    if system.classifier is None:
        raise ConfigError("The hybrid strategies route with a classifier; pass --classifier (default: the embedded one).")
    probabilities, detector_seconds = detected or conflict_probabilities(system, rows, batch_size=batch_size)
    start = time.perf_counter()
    fired = probabilities >= system.detector.config.threshold
    config = system.classifier.config
    if oracle:
        labels = [_level_label(row) for row in rows]
        allowed = np.array([label in config.refine_levels for label in labels])
        levels, confidences = labels, [1.0] * len(rows)
    else:
        level_probabilities = system.level_probabilities(rows)
        allowed = system.refine_allowed(level_probabilities)
        levels = [CONFLICT_LEVELS[int(i)].label for i in level_probabilities.argmax(-1)]
        confidences = [float(p) for p in level_probabilities.max(-1)]
    seconds = detector_seconds + (time.perf_counter() - start) / max(len(rows), 1)
    out_rows = []
    for i in range(len(rows)):
        route = PLAIN if not fired[i] else (REFINE if allowed[i] else SELF_CONSISTENCY)
        out_rows.append({"route": route, "conflict_probability": float(probabilities[i]), "level": levels[i],
                         "level_confidence": confidences[i], "seconds": seconds})
    return out_rows


def _level_label(row: Mapping) -> str:
    """The label (``L1_temporal``...) of a row's ``conflict_level`` (``L1``...)."""
    short = str(row["conflict_level"])
    for level in CONFLICT_LEVELS:
        if level.label.split("_")[0] == short or level.label == short:
            return level.label
    raise ConfigError(f"Row {row.get('id')}: unknown conflict_level {short!r}; expected L1..L4.")


def run_strategies(
    system: LCRSystem,
    rows: Sequence[Mapping],
    strategies: Sequence[str] = STRATEGIES,
    *,
    max_new_tokens: int = 24,
    batch_size: int = 8,
    seed: int = 42,
    progress: bool = True,
) -> dict[str, list[dict]]:
    """Answer every row with every strategy and score the answers.

    Args:
        system: The LCR system (base, detector, refinement, classifier).
        rows: LCR rows (``gold_answer``, ``conflict_level`` and the documents' ``answer``
            annotations are read for scoring and for the oracle only).
        strategies: A subset of :data:`STRATEGIES`.
        max_new_tokens: Longest answer (per sample) in tokens.
        batch_size: Rows per generation batch.
        seed: Seed of the self-consistency sampling.
        progress: Show progress bars.

    Returns:
        ``{strategy: [per row {answer, correct, minority, tokens, seconds, route, ...}]}``.

    Raises:
        ConfigError: An unknown strategy, or a routed one without a classifier.

    Example:
        >>> outputs = run_strategies(system, rows[:2], ["plain", "hybrid"])  # doctest: +SKIP
        >>> sorted(outputs), outputs["plain"][0]["correct"] in (True, False)  # doctest: +SKIP
        (['hybrid', 'plain'], True)
    """
    unknown = sorted(set(strategies) - set(STRATEGIES))
    if unknown:
        raise ConfigError(f"Unknown strategies {unknown}; choose from {', '.join(STRATEGIES)}.")
    needed = set(strategies)
    routed = sorted(needed & _ROUTED)
    detected = conflict_probabilities(system, rows, batch_size=batch_size, progress=progress) if routed else None
    routing = {name: routes(system, rows, oracle=name == ORACLE, detected=detected) for name in routed}
    for plan in routing.values():
        needed |= {r["route"] for r in plan}
    settings = dict(max_new_tokens=max_new_tokens, batch_size=batch_size, seed=seed, progress=progress)
    generated: dict[str, list[dict | None]] = {}
    for name, refine, sample in ((PLAIN, False, False), (REFINE, True, False), (SELF_CONSISTENCY, False, True)):
        if name not in needed:
            continue
        # A strategy asked for itself runs on every row; one only a router needs runs on its rows.
        wanted = range(len(rows)) if name in strategies else [
            i for plan in routing.values() for i, r in enumerate(plan) if r["route"] == name]
        wanted = sorted(set(wanted))
        outputs = _generate(system, [rows[i] for i in wanted], refine=refine, sample=sample, desc=name, **settings)
        generated[name] = [None] * len(rows)
        for i, record in zip(wanted, outputs):
            generated[name][i] = record
    results: dict[str, list[dict]] = {}
    for name in strategies:
        per_row = []
        for i, row in enumerate(rows):
            if name in _ROUTED:
                plan = routing[name][i]
                taken = generated[plan["route"]][i]
                record = {**taken, **plan, "seconds": taken["seconds"] + plan["seconds"],  # type: ignore[index]
                          "tokens": taken["tokens"] + (1 if plan["route"] == SELF_CONSISTENCY else 0)}  # type: ignore[index]
            else:
                record = dict(generated[name][i], route=name)  # type: ignore[arg-type]
            score = score_answer(record["answer"], row["gold_answer"], minority_answers(row))
            record.update(correct=score.correct, minority=score.has_minority, has_gold=score.has_gold)
            per_row.append(record)
        results[name] = per_row
    return results


def summarize(
    rows: Sequence[Mapping], results: Mapping[str, Sequence[Mapping]], *, bootstrap: int = 1000, seed: int = 42
) -> dict[str, dict[str, dict]]:
    """Per strategy and level (and ``all``): the figures of the report.

    Returns:
        ``{strategy: {level: {n, accuracy, accuracy_ci, minority_rate, minority_rate_ci,
        difference_vs_plain, difference_vs_plain_ci, tokens_per_row, seconds_per_row,
        routes}}}``; the differences are paired (the same rows) and absent without ``plain``.

    Example:
        >>> rows = [{"id": "a", "conflict_level": "L1"}, {"id": "b", "conflict_level": "L1"}]
        >>> r = {"plain": [{"correct": False, "minority": True, "tokens": 3, "seconds": 1.0, "route": "plain"},
        ...                {"correct": True, "minority": False, "tokens": 5, "seconds": 1.0, "route": "plain"}]}
        >>> summarize(rows, r, bootstrap=0)["plain"]["L1"]["accuracy"]
        0.5
    """
    levels = sorted({str(row["conflict_level"]) for row in rows})
    ids = [str(row.get("id", i)) for i, row in enumerate(rows)]
    plain = np.array([r["correct"] for r in results[PLAIN]], float) if PLAIN in results else None
    report: dict[str, dict[str, dict]] = {}
    for name, per_row in results.items():
        correct = np.array([r["correct"] for r in per_row], float)
        minority = np.array([r["minority"] for r in per_row], float)
        report[name] = {}
        for level in ["all", *levels]:
            chosen = np.array([i for i, row in enumerate(rows) if level == "all" or str(row["conflict_level"]) == level])
            if len(chosen) == 0:
                continue

            def compute(index: np.ndarray, chosen=chosen) -> dict:
                picked = chosen[index]
                values = {"accuracy": correct[picked].mean(), "minority_rate": minority[picked].mean()}
                if plain is not None:
                    values["difference_vs_plain"] = (correct[picked] - plain[picked]).mean()
                return values

            point = compute(np.arange(len(chosen)))
            ci = bootstrap_intervals([ids[i] for i in chosen], compute, n=bootstrap, seed=seed)
            entry = {"n": int(len(chosen))}
            for key, value in point.items():
                entry[key] = float(value)
                entry[f"{key}_ci"] = ci.get(key)
            entry["tokens_per_row"] = float(np.mean([per_row[i]["tokens"] for i in chosen]))
            entry["seconds_per_row"] = float(np.mean([per_row[i]["seconds"] for i in chosen]))
            counts: dict[str, int] = {}
            for i in chosen:
                counts[per_row[i]["route"]] = counts.get(per_row[i]["route"], 0) + 1
            entry["routes"] = counts
            report[name][level] = entry
    return report
