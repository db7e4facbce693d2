"""Publishing variants: one commit, a tag, a registry entry; then load by the new sha and verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lcr_hub import LCRClassifier
from lcr_hub.cli import main
from lcr_hub.constants import CHECKSUMS_NAME, CONFIG_NAME, MODEL_CARD_NAME, REMOTE_CODE_FILES
from lcr_hub.errors import PublishError, UnpinnedRevisionWarning
from lcr_hub.hub import get_variant, list_variants
from lcr_hub.hub.publish import prepare_release_folder, publish_variant
from lcr_hub.hub.verify import read_manifest

REPO = Path(__file__).resolve().parents[1]
CLASSIFIER = REPO / "checkpoints" / "classifier"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def test_prepared_folder_has_card_remote_code_auto_map_and_manifest(tmp_path):
    _, files = prepare_release_folder(CLASSIFIER, tmp_path / "out", subfolder="classifier/minilm", tag="t1")
    out = tmp_path / "out"
    config = json.loads((out / CONFIG_NAME).read_text())
    assert config["auto_map"] == {"AutoConfig": "classifier/minilm/configuration_lcr.LCRClassifierConfig",
                                  "AutoModel": "classifier/minilm/modeling_lcr.LCRClassifier"}
    for name, package_path in REMOTE_CODE_FILES.items():
        assert (out / name).read_bytes() == (REPO / "lcr_hub" / package_path).read_bytes()
    card = (out / MODEL_CARD_NAME).read_text()
    assert card.startswith("---\n") and 'subfolder="classifier/minilm", revision="t1"' in card
    manifest = read_manifest(out)
    assert set(manifest) | {CHECKSUMS_NAME} == set(files) == {p.name for p in out.iterdir()}
    assert all(manifest[n].sha256 == files[n].sha256 for n in manifest)
    # the folder loads as it is, checked against its manifest
    assert isinstance(LCRClassifier.from_pretrained(out), LCRClassifier)


def test_publish_refuses_bad_folders_and_names(tmp_path):
    (tmp_path / "src").mkdir()
    for name in ("config.json", "model.safetensors"):
        (tmp_path / "src" / name).write_bytes((CLASSIFIER / name).read_bytes())
    with pytest.raises(PublishError, match=r"lacks \['training_metadata.json'\]"):
        prepare_release_folder(tmp_path / "src", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(PublishError, match="variant name like"):
        publish_variant(CLASSIFIER, "Classifier/Deberta-Large", "v1", dry_run=True)


def test_dry_run_prints_the_plan_and_uploads_nothing(tmp_path, temp_registry, capsys):
    before = temp_registry.read_text()
    code = main(["publish", str(CLASSIFIER), "--variant", "classifier/minilm", "--tag", "classifier-minilm-dry-run",
                 "--dry-run", "--output", str(tmp_path / "prepared")])
    out = capsys.readouterr().out
    assert code == 0 and "dry run: nothing uploaded" in out
    assert "one commit with 10 file(s)" in out and "classifier/minilm/model.safetensors" in out
    assert temp_registry.read_text() == before
    assert (tmp_path / "prepared" / CHECKSUMS_NAME).is_file()


@pytest.mark.hub
def test_publish_one_commit_tag_registry_then_load_by_sha_and_verify(hub_env, loopback_hub, temp_registry, capsys):
    from loopback_hub import repo_path

    hub_env(endpoint=loopback_hub.url)  # uploads go to the endpoint, which forwards reads to olah
    repo_id = "lcr-tests/publish"
    shipped = len(list_variants())
    plan = publish_variant(CLASSIFIER, "classifier/minilm", "classifier-minilm-v1", repo_id=repo_id)
    git_dir = repo_path(loopback_hub.root, repo_id)
    assert git(git_dir, "rev-parse", "main") == plan.commit
    assert git(git_dir, "rev-parse", "classifier-minilm-v1^{commit}") == plan.commit
    # exactly one commit on top of the repo's first commit, holding every file of the folder
    assert git(git_dir, "rev-list", "--count", "main") == "2"
    changed = git(git_dir, "diff-tree", "--no-commit-id", "--name-only", "-r", plan.commit).splitlines()
    assert sorted(changed) == sorted(f"classifier/minilm/{name}" for name in plan.files)
    assert git(git_dir, "lfs", "ls-files", "--name-only").splitlines() == ["classifier/minilm/model.safetensors"]
    entry = get_variant("classifier-minilm-v1")
    assert entry.repo_id == repo_id and entry.commit == plan.commit and entry.files == plan.files
    assert len(list_variants()) == shipped + 1  # the shipped releases + this one

    # A pinned user loads the new release by its sha, with require_pinned, from olah.
    hub_env()
    model = LCRClassifier.from_pretrained(repo_id, subfolder="classifier/minilm", revision=plan.commit, require_pinned=True)
    assert model.config._commit_hash == plan.commit
    assert main(["verify", "classifier-minilm-v1"]) == 0
    out = capsys.readouterr().out
    assert out.count("\nok ") == len(plan.files) and "0 bad" in out

    # The tag cannot be reused, and nothing is committed when it is refused.
    hub_env(endpoint=loopback_hub.url)
    temp_registry.write_text(json.dumps({"format": 1, "variants": []}))
    with pytest.raises(PublishError, match="already exists on lcr-tests/publish"):
        publish_variant(CLASSIFIER, "classifier/minilm", "classifier-minilm-v1", repo_id=repo_id)
    assert git(git_dir, "rev-parse", "main") == plan.commit


@pytest.mark.hub
def test_verify_reports_a_corrupted_cached_file_and_exits_1(hub_env, capsys, monkeypatch, tmp_path):
    hub_env()
    monkeypatch.setenv("LCR_HUB_CHECKPOINTS", str(tmp_path / "none"))  # verify the cached copy, not the embedded one
    variant = get_variant("detector/minilm")
    from lcr_hub import LCRDetector

    LCRDetector.from_pretrained(variant.repo_id, subfolder=variant.subfolder, revision=variant.commit)
    folder = Path(os.environ["HF_HOME"]) / "hub" / f"models--{variant.repo_id.replace('/', '--')}" / "snapshots"
    card = folder / variant.commit / variant.subfolder / MODEL_CARD_NAME
    card.resolve().write_text(card.read_text().replace("LCR", "XYZ"))
    assert main(["verify", variant.name]) == 1
    out = capsys.readouterr().out
    assert f"MISMATCH   {MODEL_CARD_NAME}  expected {variant.files[MODEL_CARD_NAME].sha256}, got " in out
    assert "1 bad" in out


@pytest.mark.hub
def test_hf_upload_cli_publishes_the_prepared_folder_by_hand(hub_env, loopback_hub, tmp_path):
    from huggingface_hub import HfApi

    env = hub_env(endpoint=loopback_hub.url)
    repo_id = "lcr-tests/by-hand"
    prepared = tmp_path / "prepared"
    prepare_release_folder(CLASSIFIER, prepared, repo_id=repo_id, subfolder="classifier/minilm")
    HfApi().create_repo(repo_id)
    hf = Path(sys.executable).with_name("hf")
    result = subprocess.run([str(hf), "upload", repo_id, str(prepared), "classifier/minilm", "--commit-message",
                             "Publish classifier/minilm by hand"], env={**os.environ, **env}, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    sha = HfApi().list_repo_refs(repo_id).branches[0].target_commit
    hub_env()
    with pytest.warns(UnpinnedRevisionWarning, match="not independently pinned"):  # not in the registry
        model = LCRClassifier.from_pretrained(repo_id, subfolder="classifier/minilm", revision=sha)
    assert model.config._commit_hash == sha


def test_release_archive_restores_shared_weights_from_checkpoints_or_says_which_are_missing(tmp_path, monkeypatch):
    import loopback_hub
    from conftest import RELEASE_ARCHIVE

    repo = tmp_path / "ok" / "repo"
    loopback_hub.import_repo(RELEASE_ARCHIVE, repo)
    listed = (repo / loopback_hub.REUSED_LIST).read_text().split()
    assert listed and all(loopback_hub._lfs_object(repo, oid).is_file() for oid in listed[::2])
    monkeypatch.setattr(loopback_hub, "CHECKPOINTS", tmp_path / "empty")
    with pytest.raises(RuntimeError, match="no file under checkpoints/ has those bytes"):
        loopback_hub.import_repo(RELEASE_ARCHIVE, tmp_path / "missing" / "repo")
