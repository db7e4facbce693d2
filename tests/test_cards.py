"""Model cards are rendered from metadata: valid Hugging Face YAML, every figure from it."""

import json
from pathlib import Path

import pytest
import yaml  # a dependency of transformers and datasets

from lcr_hub.cards import render_model_card

REPO = Path(__file__).resolve().parents[1]


def _front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


@pytest.mark.parametrize("component", ["detector", "classifier"])
def test_shipped_cards_match_their_metadata(component):
    folder = REPO / "checkpoints" / component
    metadata = json.loads((folder / "training_metadata.json").read_text())
    card = (folder / "README.md").read_text()
    assert card.startswith(render_model_card(metadata))  # a released card adds its loading section
    meta = _front_matter(card)
    assert meta["license"] == "cc-by-sa-4.0"
    assert meta["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    results = meta["model-index"][0]["results"]
    assert [r["dataset"]["type"] for r in results] == list(metadata["validation"])
    for result, (name, metrics) in zip(results, metadata["validation"].items()):
        values = {m["type"]: m["value"] for m in result["metrics"]}
        assert values["accuracy"] == round(metrics["accuracy"], 4)
    assert metadata["command"] in card and metadata["weights_sha256"] in card
    for f in metadata["data"]["files"]:
        assert f["sha256"] in card


@pytest.mark.parametrize("precision", [None, "float64"])
def test_card_says_where_its_command_gives_the_same_bytes(precision):
    metadata = json.loads((REPO / "checkpoints" / "detector" / "training_metadata.json").read_text())
    training = {k: v for k, v in metadata["training"].items() if k != "precision"}
    metadata["training"] = training | ({"precision": precision} if precision else {})
    reproduce = next(line for line in render_model_card(metadata).splitlines() if line.startswith("Reproduce"))
    if precision:
        assert "on this or another CPU: trained in float64" in reproduce
    else:
        assert reproduce.startswith("Reproduce (same machine, same package versions")
