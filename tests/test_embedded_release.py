"""The embedded checkpoints are released variants: the release script (on copies) and the shipped folders."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import RELEASE_ARCHIVE, REPO, script_env
from lcr_hub.checkpoint import EMBEDDED_CHECKPOINTS
from lcr_hub.cli import main
from lcr_hub.constants import (CHECKPOINTS_ENV, CHECKSUMS_NAME, DEFAULT_VARIANT, MODEL_CARD_NAME, REFERENCE_NAME,
                               REGISTRY_ENV, REMOTE_CODE_FILES, WEIGHTS_NAME)
from lcr_hub.errors import CheckpointError
from lcr_hub.hub.loading import verify_variant
from lcr_hub.hub.registry import PACKAGE_REGISTRY, get_variant, list_variants
from lcr_hub.hub.verify import folder_files, verify_folder

SCRIPT = REPO / "scripts" / "release_embedded.py"
COMPONENTS = ("detector", "classifier")
RELEASE_DATE = "2026-12-05T10:00:00+00:00"


def digests(*paths: Path) -> dict[str, str]:
    """sha256 of every file at or under ``paths``."""
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def copies(tmp_path, monkeypatch) -> dict[str, Path]:
    """Copies of the embedded folders, the registry and the archive, used instead of them."""
    paths = {"checkpoints": tmp_path / "checkpoints", "registry": tmp_path / "registry.json",
             "archive": tmp_path / "lcr-checkpoints.tar.gz"}
    shutil.copytree(EMBEDDED_CHECKPOINTS, paths["checkpoints"])
    shutil.copyfile(PACKAGE_REGISTRY, paths["registry"])
    shutil.copyfile(RELEASE_ARCHIVE, paths["archive"])
    monkeypatch.setenv(CHECKPOINTS_ENV, str(paths["checkpoints"]))
    monkeypatch.setenv(REGISTRY_ENV, str(paths["registry"]))
    return paths


def release(copies: dict[str, Path]) -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--archive", str(copies["archive"]), "--date", RELEASE_DATE],
        env={**script_env(), CHECKPOINTS_ENV: str(copies["checkpoints"]), REGISTRY_ENV: str(copies["registry"])},
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.hub
def test_release_script_makes_the_embedded_folders_the_released_bytes(copies, tmp_path, capsys):
    import loopback_hub

    shipped = digests(EMBEDDED_CHECKPOINTS, PACKAGE_REGISTRY, RELEASE_ARCHIVE)
    before = list_variants()
    expected_tags = {}
    for component in COMPONENTS:
        numbers = [int(m.group(1)) for v in before if (m := re.fullmatch(f"{component}-minilm-v(\\d+)", v.tag))]
        expected_tags[component] = f"{component}-{DEFAULT_VARIANT}-v{max(numbers) + 1}"
    weights = {c: (copies["checkpoints"] / c / WEIGHTS_NAME).read_bytes() for c in COMPONENTS}
    for component in COMPONENTS:  # a change to release, whether or not the shipped folders are released already
        reference = copies["checkpoints"] / component / REFERENCE_NAME
        reference.write_text(reference.read_text() + "\n")
        (copies["checkpoints"] / component / CHECKSUMS_NAME).unlink(missing_ok=True)  # an edit: its manifest is void

    out = release(copies)
    new = list_variants()[len(before):]
    assert [(v.name, v.tag) for v in new] == [(f"{c}/{DEFAULT_VARIANT}", expected_tags[c]) for c in COMPONENTS]
    for component, variant in zip(COMPONENTS, new):
        folder = copies["checkpoints"] / component
        assert f"published {folder} as tag {variant.tag}, commit {variant.commit}" in out
        assert set(folder_files(folder)) == set(variant.files) and CHECKSUMS_NAME in variant.files
        assert [c.line() for c in verify_folder(folder, variant.files, rehash=True) if not c.ok] == []
        assert (folder / WEIGHTS_NAME).read_bytes() == weights[component]  # released, not retrained
        for name, package_path in REMOTE_CODE_FILES.items():
            assert (folder / name).read_bytes() == (REPO / "lcr_hub" / package_path).read_bytes()
        assert f'revision="{variant.tag}"' in (folder / MODEL_CARD_NAME).read_text()

        # `lcr-hub verify VARIANT` checks the embedded folder, offline (HF_HUB_OFFLINE=1, empty cache).
        assert main(["verify", variant.name]) == 0
        printed = capsys.readouterr().out
        assert f"{variant.name}: {folder}\n" in printed and f"{len(variant.files)} ok, 0 bad" in printed

    # The archive serves the new tags at the registered commits, with exactly the registered files.
    served = tmp_path / "unpacked" / "repo"
    loopback_hub.import_repo(copies["archive"], served)
    for variant in new:
        assert git(served, "rev-parse", f"{variant.tag}^{{commit}}") == variant.commit
        listed = git(served, "ls-tree", "-r", "--name-only", variant.commit, f"{variant.subfolder}/").splitlines()
        assert sorted(listed) == sorted(f"{variant.subfolder}/{name}" for name in variant.files)

    # A changed byte in the embedded folder is reported by the default verify.
    detector = new[0]
    card = copies["checkpoints"] / "detector" / MODEL_CARD_NAME
    card.write_text(card.read_text() + "\n")
    assert main(["verify", detector.name]) == 1
    assert f"MISMATCH   {MODEL_CARD_NAME}  expected {detector.files[MODEL_CARD_NAME].sha256}" in capsys.readouterr().out
    card.write_text(card.read_text()[:-1])

    # Released folders are not released again: no new tag, nothing rewritten.
    after = digests(copies["checkpoints"], copies["registry"], copies["archive"])
    assert release(copies).strip().endswith("nothing to release")
    assert digests(copies["checkpoints"], copies["registry"], copies["archive"]) == after
    # A folder whose release already exists is only put back to the released bytes (no new tag).
    for name in (CHECKSUMS_NAME, *REMOTE_CODE_FILES):
        (copies["checkpoints"] / "classifier" / name).unlink()
    assert f"replaced {copies['checkpoints'] / 'classifier'} with the released bytes of {new[1].tag}" in release(copies)
    assert digests(copies["checkpoints"], copies["registry"], copies["archive"]) == after
    assert digests(EMBEDDED_CHECKPOINTS, PACKAGE_REGISTRY, RELEASE_ARCHIVE) == shipped  # the real files untouched


def test_verify_without_folder_falls_back_to_the_cache_when_the_embedded_folder_is_another_release(
        copies, tmp_path):
    variant = get_variant("detector/minilm")
    (copies["checkpoints"] / "detector" / CHECKSUMS_NAME).unlink(missing_ok=True)
    with pytest.raises(CheckpointError, match="the embedded detector folder is another release, and it is not in "
                                              "the Hugging Face cache"):
        verify_variant(variant.name, cache_dir=tmp_path / "empty-cache")
    # a folder given explicitly is checked whatever it is
    folder, checks = verify_variant(variant.name, folder=copies["checkpoints"] / "detector")
    assert folder == copies["checkpoints"] / "detector" and any(c.status == "missing" for c in checks)


def test_embedded_checkpoints_are_the_released_bytes(monkeypatch):
    monkeypatch.delenv(CHECKPOINTS_ENV, raising=False)
    monkeypatch.delenv(REGISTRY_ENV, raising=False)
    for component in COMPONENTS:
        variant = get_variant(f"{component}/{DEFAULT_VARIANT}")
        folder, checks = verify_variant(variant.name)  # what `lcr-hub verify` checks: the embedded folder, offline
        assert folder == EMBEDDED_CHECKPOINTS / component, variant.tag
        assert {c.name for c in checks} == set(variant.files) and [c.line() for c in checks if not c.ok] == []
        for name, package_path in REMOTE_CODE_FILES.items():
            assert (folder / name).read_bytes() == (REPO / "lcr_hub" / package_path).read_bytes(), name
