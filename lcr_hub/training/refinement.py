"""Training of the refinement module on a frozen causal LM, per the LCR spec's loss.

For each conflicting row, the sequence is the system's prompt followed by the gold answer
and the end-of-sequence token. The refinement is applied at ``layer_index`` exactly as at
inference (:class:`lcr_hub._modules.hooks.LCRHooks`): steps decided per example by the early
stop over the prompt tokens, then applied to every real token. The loss is

    cross-entropy of the gold answer tokens (through the frozen upper layers)
    + lambda_kl * KL(p_refined || p_original) over the answer positions
    + lambda_step * the mean step norm,

with ``lambda_kl`` and ``lambda_step`` from the refinement config (0.005 and 0.01).

Runs in one process or under ``accelerate launch`` (data parallel: each process takes its
share of every batch, gradients are averaged). Every ``save_every`` steps the state
(weights, AdamW moments, step, loss history) is written as safetensors + JSON, and
``resume=True`` continues from it to the same weights as an uninterrupted run.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping, Sequence

import torch
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from .._modules.atomic import staged_folder
from ..checkpoint import write_manifest
from .._modules.hooks import LCRHooks, hooked_block
from .._modules.placement import execution_device
from ..models.configuration_lcr import LCRRefinementConfig
from ..data import uses_chat_template
from ..errors import CheckpointError, ConfigError, DataError
from ..encoding.features import CausalLMBase, load_causal_base
from ..models.modeling_lcr import LCRRefinement
from .runs import TrainingRun, _finish, _prepare

OPTIMIZER_NAME = "optimizer.safetensors"
TRAINER_STATE_NAME = "trainer_state.json"


@dataclass
class RefinementRun(TrainingRun):
    """A refinement training run (a :class:`~lcr_hub.training.TrainingRun` on a causal ``base``).

    Attributes:
        max_steps: Optimiser steps in all (default ``epochs`` (3) passes over the data).
        warmup_steps: Linear learning-rate warm-up, then constant.
        save_every: Write the resumable state every this many steps (and at the end).
        state_dir: Where the state goes (default ``<output>.state``).
        resume: Continue from ``state_dir`` (which must belong to the same run settings).
    """

    max_steps: int | None = None
    warmup_steps: int = 10
    save_every: int = 50
    state_dir: str | None = None
    resume: bool = False


@dataclass
class _Example:
    prompt_ids: list[int]
    answer_ids: list[int]


def answer_examples(base: CausalLMBase, rows: Sequence[Mapping]) -> list[_Example]:
    """Token ids of each row's prompt and of its gold answer followed by the end-of-sequence token.

    Without a chat template the answer follows the prompt's ``Answer:`` cue after a space.

    Raises:
        DataError: A prompt plus its answer exceeds the model's context.
    """
    tokenizer = base.tokenizer
    chat = uses_chat_template(tokenizer)
    prompts = [base.format(row["query"], row["documents"]).text for row in rows]
    prompt_ids = tokenizer(prompts, add_special_tokens=not chat)["input_ids"]
    answers = [row["gold_answer"] if chat else " " + row["gold_answer"] for row in rows]
    answer_ids = tokenizer(answers, add_special_tokens=False)["input_ids"]
    examples = []
    for index, (p, a) in enumerate(zip(prompt_ids, answer_ids)):
        a = list(a) + [tokenizer.eos_token_id]
        if len(p) + len(a) > base.max_length:
            raise DataError(
                f"prompt and answer of row {index} ({rows[index].get('id', '?')}) have {len(p) + len(a)} tokens; "
                f"{base.name_or_path} reads {base.max_length}. Fix: drop the row or shorten its documents."
            )
        examples.append(_Example(list(p), a))
    return examples


def _collate(examples: Sequence[_Example], pad_id: int) -> dict[str, torch.Tensor]:
    """Left-padded prompt+answer ids with the attention, prompt and answer masks."""
    length = max(len(e.prompt_ids) + len(e.answer_ids) for e in examples)
    ids = torch.full((len(examples), length), pad_id, dtype=torch.long)
    attention, prompt, answer = (torch.zeros(len(examples), length, dtype=torch.long) for _ in range(3))
    for row, e in enumerate(examples):
        n_p, n_a = len(e.prompt_ids), len(e.answer_ids)
        start = length - n_p - n_a
        ids[row, start:] = torch.tensor(e.prompt_ids + e.answer_ids)
        attention[row, start:] = 1
        prompt[row, start:start + n_p] = 1
        answer[row, length - n_a:] = 1
    return {"input_ids": ids, "attention_mask": attention, "prompt_mask": prompt, "answer_mask": answer}


def refinement_loss(
    base: CausalLMBase, refinement, config: LCRRefinementConfig, batch: Mapping[str, torch.Tensor]
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The spec's loss on one collated batch, and its parts (summed over answer tokens / rows).

    Args:
        base: The frozen causal LM.
        refinement: The refinement module (or its DDP wrapper).
        config: The refinement's config (``layer_index``, ``lambda_kl``, ``lambda_step``).
        batch: Output of :func:`_collate`.

    Returns:
        ``(loss, parts)``; ``parts`` holds sums (``ce``, ``ce_unrefined``, ``kl``,
        ``correct``, ``correct_unrefined``, ``steps``) and counts (``tokens``, ``rows``).
    """
    inputs = base.model_inputs(batch)
    answer_length = int(batch["answer_mask"].sum(1).max())
    keep = {"logits_to_keep": answer_length + 1, "use_cache": False}
    with torch.no_grad():
        original = base.model(**inputs, **keep).logits[:, :answer_length].float()
    with LCRHooks(base.model, config.layer_index, refinement=refinement, decide_mask=batch["prompt_mask"]) as hooks:
        refined = base.model(**inputs, **keep).logits[:, :answer_length].float()
    device = refined.device
    targets = batch["input_ids"][:, -answer_length:].to(device)
    mask = batch["answer_mask"][:, -answer_length:].to(device).float()
    log_refined = torch.log_softmax(refined, dim=-1)
    log_original = torch.log_softmax(original.to(device), dim=-1)
    token_ce = -log_refined.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    token_ce_original = -log_original.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    token_kl = (log_refined.exp() * (log_refined - log_original)).sum(-1)
    n_tokens = mask.sum()
    step_norms = hooks.step_norms.to(device)
    loss = (token_ce * mask).sum() / n_tokens + config.lambda_kl * (token_kl * mask).sum() / n_tokens \
        + config.lambda_step * step_norms.mean()
    parts = {
        "ce": (token_ce * mask).sum().detach(),
        "ce_unrefined": (token_ce_original * mask).sum().detach(),
        "kl": (token_kl * mask).sum().detach(),
        "correct": ((refined.argmax(-1) == targets).float() * mask).sum().detach(),
        "correct_unrefined": ((original.argmax(-1).to(device) == targets).float() * mask).sum().detach(),
        "steps": hooks.steps.float().sum().to(device),
        "tokens": n_tokens.detach(),
        "rows": torch.tensor(float(len(targets)), device=device),
    }
    return loss, parts


@torch.no_grad()
def refinement_metrics(
    base: CausalLMBase, refinement: LCRRefinement, examples: Sequence[_Example], batch_size: int = 8
) -> dict[str, float]:
    """Held-out figures of a refinement: answer CE and greedy token accuracy with and without
    it, KL(p_refined || p_original) per answer token, mean steps, and ``n`` rows."""
    totals: dict[str, float] = {}
    for start in range(0, len(examples), batch_size):
        batch = _collate(examples[start:start + batch_size], base.tokenizer.pad_token_id)
        _, parts = refinement_loss(base, refinement, refinement.config, batch)
        for key, value in parts.items():
            totals[key] = totals.get(key, 0.0) + float(value)
    tokens, rows = max(totals.get("tokens", 0.0), 1.0), max(totals.get("rows", 0.0), 1.0)
    return {
        "n": int(totals.get("rows", 0)),
        "answer_ce": totals.get("ce", 0.0) / tokens,
        "answer_ce_unrefined": totals.get("ce_unrefined", 0.0) / tokens,
        "token_accuracy": totals.get("correct", 0.0) / tokens,
        "token_accuracy_unrefined": totals.get("correct_unrefined", 0.0) / tokens,
        "kl": totals.get("kl", 0.0) / tokens,
        "mean_steps": totals.get("steps", 0.0) / rows,
    }


def _fingerprint(run: RefinementRun, files: list[dict]) -> dict:
    """The settings a resumed run must share with the one that wrote the state."""
    keep = ("data", "extra_train", "seed", "validation_fraction", "batch_size", "learning_rate", "layer_index",
            "base", "base_revision", "dtype", "warmup_steps", "epochs")
    settings = {k: v for k, v in asdict(run).items() if k in keep}
    return json.loads(json.dumps({**settings, "files": [(f["sha256"], f["role"]) for f in files]}))


def _save_state(folder: Path, refinement: LCRRefinement, optimizer, step: int, history: list[float], fingerprint: dict) -> None:
    with staged_folder(folder) as staging:
        refinement.save_pretrained(staging)
        state = optimizer.state_dict()
        tensors = {f"{index}.{name}": value.detach().cpu().contiguous()
                   for index, entry in state["state"].items() for name, value in entry.items()}
        save_file(tensors, str(staging / OPTIMIZER_NAME))
        record = {"step": step, "loss_history": history, "fingerprint": fingerprint,
                  "param_groups": state["param_groups"]}
        (staging / TRAINER_STATE_NAME).write_text(json.dumps(record, indent=1) + "\n")
        write_manifest(staging)  # resuming loads the state through from_pretrained, which checks it


def _load_state(folder: Path, fingerprint: dict) -> tuple[LCRRefinement, dict, int, list[float]]:
    path = folder / TRAINER_STATE_NAME
    if not path.is_file():
        raise CheckpointError(
            f"Cannot resume: {path} is missing. Run without --resume first (the state is written every "
            "--save-every steps), or point --state-dir at the folder such a run wrote."
        )
    record = json.loads(path.read_text())
    if record["fingerprint"] != fingerprint:
        changed = sorted(k for k in fingerprint if record["fingerprint"].get(k) != fingerprint[k])
        raise CheckpointError(
            f"Cannot resume from {folder}: it was written by a run with other settings ({', '.join(changed)}). "
            "Resume with the same data, seed, batch size, learning rate and base, or start a new state dir."
        )
    model = LCRRefinement.from_pretrained(folder)
    state: dict = {"state": {}, "param_groups": record["param_groups"]}
    for key, value in load_file(str(folder / OPTIMIZER_NAME)).items():
        index, name = key.split(".", 1)
        state["state"].setdefault(int(index), {})[name] = value
    return model, state, int(record["step"]), list(record["loss_history"])


def train_refinement(run: RefinementRun) -> dict | None:
    """Train the refinement module on a frozen causal LM and write its checkpoint.

    Splits ``run.data`` by id like the detector's training, trains on the conflicting rows
    (plus ``run.extra_train``) for ``run.max_steps`` optimiser steps (AdamW, linear warm-up
    then constant learning rate), measures :func:`refinement_metrics` on the validation part
    and every ``run.report`` set, and writes ``run.output`` with the same metadata as the
    embedded training (config, command, seed, versions, hardware, data sha256s, metrics,
    weights sha256) and a model card.

    Args:
        run: The run's settings; ``run.base`` is required.

    Returns:
        The metadata (in the main process; None in the others under ``accelerate launch``).

    Raises:
        ConfigError: No base, or settings that cannot run (batch smaller than the processes).
        CheckpointError: ``resume`` without a matching state.
    """
    from accelerate import Accelerator

    if run.base is None:
        raise ConfigError("Refinement training needs --base, the causal LM whose states it refines.")
    accelerator = Accelerator()
    if run.device_map is not None and accelerator.num_processes > 1:
        raise ConfigError("--device-map places one copy of the base in one process; do not combine it with several processes.")
    if run.batch_size < accelerator.num_processes:
        raise ConfigError(f"--batch-size {run.batch_size} is smaller than the {accelerator.num_processes} processes.")
    base = load_causal_base(run.base, run.base_revision, device=accelerator.device, dtype=run.dtype,
                            device_map=run.device_map)
    prepared = _prepare(run, base)
    examples = answer_examples(base, prepared.train)
    config = LCRRefinementConfig(
        hidden_size=base.model.config.get_text_config().hidden_size, layer_index=prepared.layer,
        base_model_name_or_path=base.name_or_path, base_model_revision=base.revision,
    )
    fingerprint = _fingerprint(run, prepared.files)
    state_dir = Path(run.state_dir or f"{run.output}.state")
    start, history, optimizer_state = 0, [], None
    if run.resume:
        model, optimizer_state, start, history = _load_state(state_dir, fingerprint)
    else:
        torch.manual_seed(run.seed)
        model = LCRRefinement(config)
    model.to(execution_device(hooked_block(base.model, model.config.layer_index))).train()
    learning_rate = run.learning_rate or 1e-3
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    wrapped, optimizer = accelerator.prepare(model, optimizer, device_placement=[False, False])

    steps_per_epoch = math.ceil(len(examples) / run.batch_size)
    max_steps = run.max_steps or (run.epochs or 3) * steps_per_epoch
    bar = tqdm(range(start, max_steps), desc="Training LCRRefinement", unit="step",
               disable=not run.progress or not accelerator.is_main_process)
    for step in bar:
        epoch, position = divmod(step, steps_per_epoch)
        order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(run.seed + epoch)).tolist()
        global_batch = order[position * run.batch_size:(position + 1) * run.batch_size]
        mine = global_batch[accelerator.process_index::accelerator.num_processes]
        for group in optimizer.param_groups:
            group["lr"] = learning_rate * min(1.0, (step + 1) / max(run.warmup_steps, 1))
        loss, _ = refinement_loss(base, wrapped, model.config, _collate([examples[i] for i in mine], base.tokenizer.pad_token_id))
        if not loss.requires_grad:  # every row stopped before its first step: zero gradients (every process steps)
            loss = loss + sum(p.sum() for p in wrapped.parameters()) * 0.0
        accelerator.backward(loss)
        optimizer.step()
        optimizer.zero_grad()
        history.append(float(accelerator.reduce(loss.detach(), reduction="mean")))
        bar.set_postfix(loss=f"{history[-1]:.4f}")
        if (step + 1) % run.save_every == 0 or step + 1 == max_steps:
            if accelerator.is_main_process:
                _save_state(state_dir, model, optimizer, step + 1, history, fingerprint)
            accelerator.wait_for_everyone()
    if not accelerator.is_main_process:
        return None
    model.eval()
    metrics = {name: refinement_metrics(base, model, answer_examples(base, rows)) for name, rows in prepared.evaluation.items()}
    hyper = {
        "max_steps": max_steps, "batch_size": run.batch_size, "learning_rate": learning_rate,
        "warmup_steps": run.warmup_steps, "optimizer": "AdamW (weight decay 0), linear warm-up then constant",
        "loss": f"answer cross-entropy + {model.config.lambda_kl} KL(p_refined || p_original) + "
                f"{model.config.lambda_step} mean step norm",
        "loss_history_unit": "optimiser step", "num_processes": accelerator.num_processes,
        "resumed_from_step": start if run.resume else None, "base_dtype": str(base.model.dtype).replace("torch.", ""),
    }
    return _finish(run, model, "refinement", prepared, metrics, history, hyper, len(examples))
