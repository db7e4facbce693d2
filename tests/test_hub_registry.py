"""The shipped registry, registry files in general, and folder checks (no server)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from lcr_hub.errors import CheckpointError
from lcr_hub.cli import main
from lcr_hub.constants import CHECKSUMS_NAME, DEFAULT_REPO_ID, WEIGHTS_NAME
from lcr_hub.errors import PublishError
from lcr_hub.hub import describe_variant, get_variant, list_variants
from lcr_hub.hub.registry import FileDigest, Variant, add_variant
from lcr_hub.hub.verify import verify_folder, write_manifest

REPO = Path(__file__).resolve().parents[1]
ARCHIVE = REPO / "tests" / "fixtures" / "hub" / "lcr-checkpoints.tar.gz"


def test_shipped_registry_pins_the_embedded_components_and_the_smollm2_parts():
    variants = {v.name: v for v in list_variants()}
    shipped = {"detector/minilm": "lcr_detector", "classifier/minilm": "lcr_classifier",
               "detector/smollm2_135m_instruct": "lcr_detector", "refinement/smollm2_135m_instruct": "lcr_refinement"}
    assert set(variants) == set(shipped)
    for name, model_type in shipped.items():
        v = variants[name]
        assert v.repo_id == DEFAULT_REPO_ID and v.subfolder == name and v.model_type == model_type
        assert len(v.commit) == 40 and {WEIGHTS_NAME, CHECKSUMS_NAME, "config.json", "README.md"} <= set(v.files)
    assert get_variant(variants["detector/minilm"].tag) == variants["detector/minilm"]


def test_registry_commits_exist_in_the_archived_release_repo():
    """The pinned commits and tags are real: they are in the repo the loopback Hub serves."""
    with tarfile.open(ARCHIVE) as tar:
        names = tar.getnames()
        packed = tar.extractfile(".git/packed-refs").read().decode() if ".git/packed-refs" in names else ""
        reused = tar.extractfile(".git/lfs/reused-from-checkpoints").read().decode().split()[::2]
    for v in list_variants():
        assert f"{v.commit} refs/tags/{v.tag}" in packed
        lfs = f".git/lfs/objects/{v.files[WEIGHTS_NAME].sha256[:2]}/{v.files[WEIGHTS_NAME].sha256[2:4]}/{v.files[WEIGHTS_NAME].sha256}"
        # Packed, or (bytes also committed under checkpoints/) listed for loopback_hub.import_repo.
        assert lfs in names or v.files[WEIGHTS_NAME].sha256 in reused


def test_variants_cli_lists_and_describes(capsys):
    assert main(["variants"]) == 0
    listing = capsys.readouterr().out
    for v in list_variants():
        assert f"{v.tag}" in listing and v.commit in listing
    assert main(["variants", "detector/minilm"]) == 0
    assert capsys.readouterr().out.strip() == describe_variant("detector/minilm")
    assert main(["variants", "nope"]) == 2
    assert "No variant or tag 'nope'" in capsys.readouterr().err


def test_malformed_registry_and_duplicate_tags_are_refused(temp_registry):
    temp_registry.write_text(json.dumps({"format": 1, "variants": [{"name": "x", "commit": "abc"}]}))
    with pytest.raises(CheckpointError, match="malformed variant entry 'x'"):
        list_variants()
    temp_registry.write_text(json.dumps({"format": 1, "variants": []}))
    entry = Variant("a/b", "lcr_detector", "o/r", "a/b", "a-b-v1", "0" * 40, {"x": FileDigest("1" * 64, 1)})
    add_variant(entry)
    assert list_variants() == [entry]
    with pytest.raises(PublishError, match="already has a release tagged 'a-b-v1'"):
        add_variant(entry)


def test_verify_folder_reports_each_file(tmp_path):
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("b")
    pinned = write_manifest(tmp_path)
    (tmp_path / "b.txt").write_text("c")  # same size, other bytes
    (tmp_path / "c.txt").write_text("new")
    (tmp_path / "a.txt").unlink()
    status = {c.name: c.status for c in verify_folder(tmp_path, pinned)}
    assert status == {"a.txt": "missing", "b.txt": "mismatch", "c.txt": "unexpected", CHECKSUMS_NAME: "ok"}


def test_verify_cli_on_a_local_copy(tmp_path, capsys):
    variant = get_variant("detector/minilm")
    # A folder holding none of the files: every pinned file is reported missing.
    assert main(["verify", variant.name, "--folder", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.count("MISSING") == len(variant.files) and f"{len(variant.files)} bad" in out
