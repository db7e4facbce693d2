"""Model cards rendered from a checkpoint's training metadata (never typed by hand)."""

from __future__ import annotations

import json
from pathlib import Path
from string import Template

from .constants import LEVELS

#: Card templates live in the repository's `model_cards/` folder.
TEMPLATES = Path(__file__).resolve().parents[1] / "model_cards"

DATA_LICENSE_NOTE = (
    "Trained on the dev split of the LCR benchmark (lcrpaper/lcr-rag, data/dev), whose data "
    "README states CC BY-SA 4.0 (sources: NaturalQuestions, HotpotQA, Wikipedia); the weights "
    "are released under the same licence."
)


def _yaml_front_matter(metadata: dict) -> str:
    component = metadata["component"]
    config = metadata["config"]
    validation = metadata["validation"]
    metrics = (
        [("accuracy", validation["accuracy"]), ("f1", validation["f1"])]
        if component == "detector"
        else [("accuracy", validation["accuracy"]), ("f1", validation["macro_f1"])]
    )
    metric_lines = "\n".join(
        f"      - type: {name}\n        value: {value:.4f}\n        name: {label}"
        for (name, value), label in zip(
            metrics,
            ["accuracy"] + (["F1 (conflict class)"] if component == "detector" else ["macro-F1"]),
        )
    )
    task = "conflict detection (binary)" if component == "detector" else "conflict taxonomy (L1-L4)"
    return (
        "---\n"
        "license: cc-by-sa-4.0\n"
        "library_name: transformers\n"
        f"base_model: {config['base_model_name_or_path']}\n"
        "datasets:\n  - lcrpaper/lcr-rag\n"
        "tags:\n  - lcr\n  - rag\n  - knowledge-conflicts\n"
        "model-index:\n"
        f"  - name: lcr-{component}-minilm\n"
        "    results:\n"
        f"      - task:\n          type: text-classification\n          name: {task}\n"
        "        dataset:\n          type: lcrpaper/lcr-rag\n          name: LCR benchmark dev, validation part\n"
        "          split: validation\n"
        "        metrics:\n" + "\n".join("  " + line for line in metric_lines.splitlines()) + "\n"
        "---\n"
    )


def _results_table(metadata: dict) -> str:
    v = metadata["validation"]
    if metadata["component"] == "detector":
        rows = ["| metric | value |", "|---|---|"]
        rows += [f"| {k} | {v[k]:.4f} |" for k in ("accuracy", "precision", "recall", "f1")]
        rows += [f"| accuracy {lvl} (n={v['per_level'][lvl]['n']}) | {v['per_level'][lvl]['accuracy']:.4f} |"
                 for lvl in LEVELS if lvl in v["per_level"]]
    else:
        rows = ["| metric | value |", "|---|---|", f"| accuracy | {v['accuracy']:.4f} |", f"| macro-F1 | {v['macro_f1']:.4f} |"]
        rows += [f"| F1 {lvl} (n={v['per_level'][lvl]['support']}) | {v['per_level'][lvl]['f1']:.4f} |"
                 for lvl in LEVELS if lvl in v["per_level"]]
    return "\n".join(rows)


def render_model_card(metadata: dict, template: str | Path | None = None) -> str:
    """Render a checkpoint's ``README.md`` from its training metadata.

    Args:
        metadata: The dict written by the training run (``training_metadata.json``).
        template: A ``string.Template`` file; default ``model_cards/<component>.md``.

    Returns:
        The model card: Hugging Face YAML metadata, then the filled template.
    """
    path = Path(template) if template else TEMPLATES / f"{metadata['component']}.md"
    body = Template(path.read_text()).substitute(
        command=metadata["command"],
        results=_results_table(metadata),
        config=json.dumps(metadata["config"], indent=2, sort_keys=True),
        weights_sha256=metadata["weights_sha256"],
        seed=metadata["seed"],
        n_train=metadata["data"]["n_train_examples"],
        n_validation=metadata["data"]["n_validation_examples"],
        data_files="\n".join(f"- `{f['path']}` sha256 `{f['sha256']}`" for f in metadata["data"]["files"]),
        versions=", ".join(f"{k} {v}" for k, v in metadata["framework"].items() if v),
        hardware=f"{metadata['hardware']['device_name']} ({metadata['hardware']['platform']}, "
        f"{metadata['hardware']['torch_num_threads']} torch threads)",
        base_model=metadata["config"]["base_model_name_or_path"],
        base_model_revision=metadata["config"]["base_model_revision"],
        layer_index=metadata["config"]["layer_index"],
        data_license=DATA_LICENSE_NOTE,
    )
    return _yaml_front_matter(metadata) + "\n" + body
