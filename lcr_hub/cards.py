"""Model cards rendered from a checkpoint's training metadata (never typed by hand)."""

from __future__ import annotations

import json
from pathlib import Path
from string import Template
from typing import Any, Mapping

from .constants import CONFLICT_LEVELS, DEFAULT_ENCODER_ID, PRECISION_FLOAT64
from .steps import RELEASE_CONSTRAINTS

#: Card templates ship in the package (`lcr_hub/model_cards/`).
_TEMPLATES = Path(__file__).resolve().parent / "model_cards"

_DATA_LICENSE_NOTE = (
    "Trained on the dev split of the LCR benchmark (lcrpaper/lcr-rag, data/dev), whose data "
    "README states CC BY-SA 4.0 (sources: NaturalQuestions, HotpotQA, Wikipedia); the weights "
    "are released under the same licence."
)


#: How each evaluation set is described in a card.
_SET_DESCRIPTIONS = {
    "benchmark_dev": "LCR benchmark dev, validation part (never trained on)",
    "natural": "hand-written natural conflicts, data/natural/validation.jsonl (never trained on)",
    "long_handwritten": "hand-written long retrieved-style passages, data/long/validation.jsonl (never trained on)",
}


#: Metrics of the refinement module (``lcr_hub.training.refinement.refinement_metrics``), as the card shows them.
_REFINEMENT_METRICS = {
    "answer_ce": "answer cross-entropy, refined (nats/token)",
    "answer_ce_unrefined": "answer cross-entropy, base alone",
    "token_accuracy": "answer token accuracy (greedy), refined",
    "token_accuracy_unrefined": "answer token accuracy (greedy), base alone",
    "kl": "KL(p_refined || p_original) per answer token",
    "mean_steps": "refinement steps per example",
}


#: Where the card's training command gives the same bytes, by the run's ``--precision`` (None: float32).
_REPRODUCIBLE_ON = {
    None: "same machine, same package versions",
    PRECISION_FLOAT64: ("same package versions, on this or another CPU: trained in float64, so the CPU's kernels "
                        "do not change the bytes (AVX-512 and AVX2 measured)"),
}


def _headline(component: str, metrics: dict) -> list[tuple[str, float, str]]:
    if component == "detector":
        return [("accuracy", metrics["accuracy"], "accuracy"), ("f1", metrics["f1"], "F1 (conflict class)")]
    if component == "refinement":
        return [("loss", metrics["answer_ce"], _REFINEMENT_METRICS["answer_ce"]),
                ("loss", metrics["answer_ce_unrefined"], _REFINEMENT_METRICS["answer_ce_unrefined"])]
    return [("accuracy", metrics["accuracy"], "accuracy"), ("f1", metrics["macro_f1"], "macro-F1")]


def _base_tag(metadata: dict) -> str:
    base = metadata["config"]["base_model_name_or_path"] or "base"
    return "minilm" if base == DEFAULT_ENCODER_ID else base.rstrip("/").split("/")[-1].lower()


def _template_path(metadata: dict) -> Path:
    """The card template of a checkpoint: ``<component>.md`` on the embedded encoder, else
    ``<component>_causal_lm.md`` (the refinement only ever sits on a causal LM)."""
    component = metadata["component"]
    on_encoder = metadata["config"]["base_model_name_or_path"] == DEFAULT_ENCODER_ID
    return _TEMPLATES / (f"{component}.md" if on_encoder else f"{component}_causal_lm.md")


def _hardware_line(hardware: Mapping[str, Any]) -> str:
    """``x86_64 (Linux-x86_64-glibc2.36, 2 torch threads, CPU kernels AVX2 pinned by MKL_CBWR=AVX2,STRICT)``."""
    parts = [str(hardware["platform"]), f"{hardware['torch_num_threads']} torch threads"]
    if hardware.get("cpu_capability"):  # recorded since 2026-12-06
        pinned = " ".join(f"{k}={v}" for k, v in (hardware.get("numerics_env") or {}).items())
        parts.append(f"CPU kernels {hardware['cpu_capability']}" + (f" pinned by {pinned}" if pinned else ""))
    return f"{hardware['device_name']} ({', '.join(parts)})"


def _yaml_front_matter(metadata: dict) -> str:
    component = metadata["component"]
    task = {"detector": "conflict detection (binary)", "refinement": "answer under conflicting documents"}.get(
        component, "conflict taxonomy (L1-L4)")
    results = []
    for name, metrics in metadata["validation"].items():
        lines = [
            "      - task:",
            f"          type: {'text-generation' if component == 'refinement' else 'text-classification'}",
            f"          name: {task}",
            "        dataset:",
            f"          type: {name}",
            f"          name: {_SET_DESCRIPTIONS.get(name, name)}",
            "        metrics:",
        ]
        for kind, value, label in _headline(component, metrics):
            lines += [f"          - type: {kind}", f"            value: {value:.4f}", f"            name: {label}"]
        results.append("\n".join(lines))
    return (
        "---\n"
        "license: cc-by-sa-4.0\n"
        "library_name: transformers\n"
        f"base_model: {metadata['config']['base_model_name_or_path']}\n"
        "datasets:\n  - lcrpaper/lcr-rag\n"
        "tags:\n  - lcr\n  - rag\n  - knowledge-conflicts\n"
        "model-index:\n"
        f"  - name: lcr-{component}-{_base_tag(metadata)}\n"
        "    results:\n" + "\n".join(results) + "\n---\n"
    )


#: Calibration figures in the results tables: metadata key -> label.
_CALIBRATION_ROWS = {
    "detector": (("auroc", "AUROC"), ("ece", "ECE (15 equal-width bins)"), ("mce", "MCE"), ("brier", "Brier score")),
    "classifier": (("ece", "ECE of the top-class probability (15 bins)"), ("mce", "MCE of the top-class probability")),
}


def _results_table(metadata: dict) -> str:
    out = []
    for name, v in metadata["validation"].items():
        out.append(f"**{_SET_DESCRIPTIONS.get(name, name)}** ({v['n']} examples)\n")
        if metadata["component"] == "refinement":
            rows = ["| metric | value |", "|---|---|"] + [f"| {label} | {v[k]:.4f} |" for k, label in _REFINEMENT_METRICS.items()]
        elif metadata["component"] == "detector":
            rows = ["| metric | value |", "|---|---|"]
            rows += [f"| {k} | {v[k]:.4f} |" for k in ("accuracy", "precision", "recall", "f1")]
            rows += [
                f"| accuracy {lvl} (n={v['per_level'][lvl]['n']}, predicted conflict "
                f"{v['per_level'][lvl]['predicted_positive_rate']:.2f}) | {v['per_level'][lvl]['accuracy']:.4f} |"
                for lvl in (level.code for level in CONFLICT_LEVELS) if lvl in v["per_level"]
            ]
            rows += [f"| {label} | {v[k]:.4f} |" for k, label in _CALIBRATION_ROWS["detector"] if k in v]
        else:
            rows = ["| metric | value |", "|---|---|", f"| accuracy | {v['accuracy']:.4f} |", f"| macro-F1 | {v['macro_f1']:.4f} |"]
            rows += [f"| F1 {lvl} (n={v['per_level'][lvl]['support']}) | {v['per_level'][lvl]['f1']:.4f} |"
                     for lvl in (level.code for level in CONFLICT_LEVELS) if lvl in v["per_level"]]
            rows += [f"| {label} | {v[k]:.4f} |" for k, label in _CALIBRATION_ROWS["classifier"] if k in v]
        out.append("\n".join(rows) + "\n")
    return "\n".join(out)


def _localization_table(metadata: dict) -> str:
    """The localisation figures of each evaluation set that has them (``validation.<set>.localization``:
    :func:`lcr_hub.evaluation.localization.localization_metrics`), or ``""``."""
    out = []
    for name, v in metadata.get("validation", {}).items():
        loc = v.get("localization") if isinstance(v, dict) else None
        if not loc:
            continue
        rows = ["| metric | value |", "|---|---|"]
        for key, label in (("top_pair_hit_rate", "top-pair hit rate"),
                           ("minority_document_accuracy", "minority-document accuracy")):
            rows.append(f"| {label} | {loc[key]:.4f} |")
            rows += [f"| {label} {lvl} (n={lv['n']}) | {lv[key]:.4f} |" for lvl, lv in loc.get("per_level", {}).items()]
        out.append(f"\n**Localisation, {_SET_DESCRIPTIONS.get(name, name)}** ({loc['n']} conflicting rows with "
                   "three or more documents: the most conflicting pair holds one minority and one majority "
                   "document; the top-scoring document holds a minority value)\n\n" + "\n".join(rows) + "\n")
    return "".join(out)


def _steps_section(metadata: dict) -> str:
    """"How these bytes were made": the recorded steps, numbered, each with its versions (none: "")."""
    steps = metadata.get("steps")
    if not steps:
        return ""  # released before steps were recorded: the card is as it was
    torch_version = str(metadata["framework"].get("pytorch_version") or "").split("+")[0]
    releases = [step for step in steps if step["kind"] == "release"]
    lines = ["\n## How these bytes were made\n",
             "Every step that produced the files of this folder, in order (`steps` in `training_metadata.json`):\n"]
    for number, step in enumerate(steps, 1):
        versions = ", ".join(f"{k.removesuffix('_version')} {v}" for k, v in step["versions"].items() if v)
        lines.append(f"{number}. {step['kind']}:\n\n   ```bash\n   {step['command']}\n   ```\n\n   versions: {versions}\n")
    lines.append(
        "To rebuild it and compare every file's sha256 with the release, from a clone of lcr_hub with the\n"
        "exact versions of the release:\n\n```bash\n"
        f"pip install torch=={torch_version} -e . -c {RELEASE_CONSTRAINTS}\n"
        f"python -m lcr_hub rebuild {releases[-1].get('tag') if releases else 'VARIANT'} --output out/rebuilt\n```\n"
    )
    return "\n".join(lines)


def render_model_card(metadata: dict, template: str | Path | None = None) -> str:
    """Render a checkpoint's ``README.md`` from its training metadata.

    Args:
        metadata: The dict written by the training run (``training_metadata.json``).
        template: A ``string.Template`` file; default the component's template in ``lcr_hub/model_cards/``.

    Returns:
        The model card: Hugging Face YAML metadata, then the filled template.
    """
    path = Path(template) if template else _template_path(metadata)
    body = Template(path.read_text()).substitute(
        command=metadata["command"],
        results=_results_table(metadata),
        localization=_localization_table(metadata),
        config=json.dumps(metadata["config"], indent=2, sort_keys=True),
        weights_sha256=metadata["weights_sha256"],
        seed=metadata["seed"],
        n_train=metadata["data"]["n_train_examples"],
        data_files="\n".join(
            f"- `{f['path']}` ({f['role']}) sha256 `{f['sha256']}`" for f in metadata["data"]["files"]
        ),
        versions=", ".join(f"{k} {v}" for k, v in metadata["framework"].items() if v),
        hardware=_hardware_line(metadata["hardware"]),
        base_model=metadata["config"]["base_model_name_or_path"],
        base_model_revision=metadata["config"]["base_model_revision"],
        layer_index=metadata["config"]["layer_index"],
        data_license=_DATA_LICENSE_NOTE,
        reproducible_on=_REPRODUCIBLE_ON.get(metadata["training"].get("precision"), _REPRODUCIBLE_ON[None]),
    )
    card = _yaml_front_matter(metadata) + "\n" + body + _steps_section(metadata)
    if "calibration" in metadata:
        c = metadata["calibration"]
        how = "fitted by NLL" if c.get("fitted", True) else f"not fitted ({c['reason']})"
        card += (
            "\n## Calibration\n\n"
            f"`calibration_temperature` {c['temperature']:.4f}, {how} on {c['n']} examples "
            f"(split: {c['split']['name']}) with:\n\n```bash\n{c['command']}\n```\n\n"
            "| | temperature | NLL | ECE (15 bins) | MCE |\n|---|---|---|---|---|\n"
            + "".join(
                f"| {when} | {c[when]['temperature']:.4f} | {c[when]['nll']:.4f} | {c[when]['ece']:.4f} | {c[when]['mce']:.4f} |\n"
                for when in ("before", "after")
            )
        )
        if c.get("cross_fitted"):
            x = c["cross_fitted"]
            card += "".join(
                f"| {when}, cross-fitted | {t} | {x[when]['nll']:.4f} | {x[when]['ece']:.4f} | {x[when]['mce']:.4f} |\n"
                for when, t in (("before", f"{c['before']['temperature']:.4f}"),
                                ("after", " / ".join(f"{v:.4f}" for v in x["temperatures"])))
            ) + (
                "\nCross-fitted rows: the temperature is fitted on one half of the examples and "
                "scored on the other, both ways (an out-of-sample estimate).\n"
            )
        card += (
            "\nThe results above were measured before calibration; the temperature moves the\n"
            + ("probabilities and so which examples cross the threshold.\n" if metadata["component"] == "detector"
               else "probabilities but not which level is the most probable, so the predictions stay the same.\n")
        )
    return card
