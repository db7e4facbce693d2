"""Verified loading from a Hub served over real HTTP on 127.0.0.1 (olah), and from local folders."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

import lcr_hub
from lcr_hub import LCRClassifier, LCRDetector
from lcr_hub.errors import CheckpointError, IntegrityError
from lcr_hub.constants import CHECKSUMS_NAME, DEFAULT_REPO_ID, WEIGHTS_NAME
from lcr_hub.errors import UnpinnedRevisionError, UnpinnedRevisionWarning
from lcr_hub.hub import get_variant
from lcr_hub.hub.publish import prepare_release_folder

REPO = Path(__file__).resolve().parents[1]
DETECTOR = "detector/minilm"


def snapshot_dir(env: dict, commit: str) -> Path:
    return Path(env["HF_HOME"]) / "hub" / f"models--{DEFAULT_REPO_ID.replace('/', '--')}" / "snapshots" / commit


def run_python(code: str, env: dict, cwd: Path = REPO, timeout: int = 600) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env, "HF_HUB_DISABLE_UPDATE_CHECK": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)


# --------------------------------------------------------------------------- over HTTP


@pytest.mark.hub
def test_load_by_tag_and_by_sha_class_and_automodel(hub_env):
    env = hub_env()
    detector, classifier = get_variant(DETECTOR), get_variant("classifier/minilm")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnpinnedRevisionWarning)  # pinned releases load without a warning
        by_tag = LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=detector.tag, require_pinned=True)
        from transformers import AutoModel

        by_sha = AutoModel.from_pretrained(DEFAULT_REPO_ID, subfolder=classifier.subfolder, revision=classifier.commit,
                                           require_pinned=True)
        by_auto_tag = AutoModel.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=detector.tag)
    assert isinstance(by_tag, LCRDetector) and isinstance(by_auto_tag, LCRDetector)
    assert isinstance(by_sha, LCRClassifier)
    assert by_tag.config._commit_hash == detector.commit and by_sha.config._commit_hash == classifier.commit
    assert by_tag.name_or_path == DEFAULT_REPO_ID
    x = torch.randn(2, 5, by_tag.config.hidden_size)
    mask = torch.zeros(2, 5, dtype=torch.long)
    torch.testing.assert_close(by_tag(x, document_mask=mask).logits, by_auto_tag(x, document_mask=mask).logits)
    # What was loaded is what the registry pins, byte for byte, at the pinned commit.
    folder = snapshot_dir(env, detector.commit) / DETECTOR
    assert sorted(p.name for p in folder.iterdir()) == sorted(detector.files)


@pytest.mark.hub
def test_branch_warns_and_require_pinned_wants_a_full_sha(hub_env):
    hub_env()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision="main")
    messages = [str(w.message) for w in caught if issubclass(w.category, UnpinnedRevisionWarning)]
    assert any("branches move" in m for m in messages)
    assert isinstance(model, LCRDetector)
    # The classifier's release commit is not a detector release: detector/minilm there is
    # checked against the repo's manifest, with a warning.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=get_variant("classifier/minilm").commit)
    assert any("not independently pinned" in str(w.message) for w in caught)
    with pytest.raises(UnpinnedRevisionError, match="full 40-hex commit sha"):
        LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision="main", require_pinned=True)
    short = get_variant(DETECTOR).commit[:7]
    with pytest.raises(UnpinnedRevisionError, match="Pin a full commit sha"):
        LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=short, require_pinned=True)
    main_sha = get_variant("classifier/minilm").commit
    with pytest.raises(UnpinnedRevisionError, match="not a release in lcr_hub's registry"):
        LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=main_sha, require_pinned=True)
    # `strict=` is the deprecated name of require_pinned: it still refuses, with a FutureWarning naming the new one.
    with pytest.warns(FutureWarning, match="require_pinned"), pytest.raises(UnpinnedRevisionError, match="full 40-hex"):
        LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision="main", strict=True)


@pytest.mark.hub
def test_same_size_tampered_weights_raise_and_are_evicted(hub_env, loopback_hub):
    from loopback_hub import repo_path

    env = hub_env()
    variant = get_variant(DETECTOR)
    pinned = variant.files[WEIGHTS_NAME].sha256
    lfs_object = repo_path(loopback_hub.root, DEFAULT_REPO_ID) / ".git" / "lfs" / "objects" / pinned[:2] / pinned[2:4] / pinned
    original = lfs_object.read_bytes()
    tampered = original[:-8] + bytes(8) if original[-8:] != bytes(8) else original[:-8] + b"\x01" * 8
    lfs_object.write_bytes(tampered)  # same size, other bytes: the server now serves them
    try:
        with pytest.raises(IntegrityError, match=f"model.safetensors: expected sha256 {pinned}") as error:
            LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=variant.tag)
        assert error.value.actual != pinned and len(error.value.actual) == 64
        cached = snapshot_dir(env, variant.commit) / DETECTOR / WEIGHTS_NAME
        blobs = Path(env["HF_HOME"]) / "hub" / f"models--{DEFAULT_REPO_ID.replace('/', '--')}" / "blobs"
        assert not cached.exists() and not cached.is_symlink()
        assert not (blobs / error.value.actual).exists()
    finally:
        lfs_object.write_bytes(original)
    # The bad blob is gone, so the next call downloads the file again and loads.
    model = LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=variant.tag)
    assert model.config._commit_hash == variant.commit


def _load_at_once(barrier, results, revision: str) -> None:
    """Child process: wait for the others, then load (all four hit the empty cache together)."""
    try:
        from transformers import AutoModel

        warnings.simplefilter("error", UnpinnedRevisionWarning)
        barrier.wait(timeout=300)
        model = AutoModel.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=revision, require_pinned=True)
        results.put((type(model).__name__, model.config._commit_hash))
    except BaseException as error:  # reported to the parent, which fails the test
        results.put(("error", repr(error)))


@pytest.mark.hub
def test_four_processes_at_once_then_offline_from_cache(hub_env):
    env = hub_env()
    variant = get_variant(DETECTOR)
    # Forked processes (they share the imports already done here, so starting them is cheap)
    # download and verify the same revision into one empty cache at the same time.
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_load_at_once, args=(barrier, results, variant.tag)) for _ in range(4)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join(60)
    assert outcomes == [("LCRDetector", variant.commit)] * 4
    assert [proc.exitcode for proc in procs] == [0] * 4
    # Offline (HF_HUB_OFFLINE=1): a full sha resolves from the cache, and the files are verified again.
    hub_env(offline=True)
    model = LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=variant.commit, require_pinned=True)
    assert model.config._commit_hash == variant.commit
    with pytest.raises(CheckpointError, match="Cannot resolve revision 'main'"):  # a branch needs the server
        LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision="main")
    # Offline verification is real: a locally corrupted blob (same size) is refused and removed.
    cached = snapshot_dir(env, variant.commit) / DETECTOR / "config.json"
    blob = cached.resolve()
    blob.write_bytes(b" " * blob.stat().st_size)
    with pytest.raises(IntegrityError, match="config.json"):
        LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=variant.commit)
    assert not blob.exists()


@pytest.mark.hub
def test_server_stopped_mid_download_gives_clear_error_and_no_partial_snapshot(hub_env, loopback_hub):
    from loopback_hub import DroppingProxy

    variant = get_variant(DETECTOR)
    proxy = DroppingProxy(loopback_hub.olah.port, cut_after=400_000)  # inside the 1.7 MB weights
    env = hub_env(endpoint=proxy.url)
    try:
        with pytest.raises(CheckpointError, match=r"Could not download .*Nothing was loaded"):
            LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=variant.commit)
    finally:
        proxy.stop()
    folder = snapshot_dir(env, variant.commit) / DETECTOR
    present = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    assert WEIGHTS_NAME not in present  # never placed in the snapshot half-written
    for name in present:  # whatever did arrive is complete
        assert (folder / name).stat().st_size == variant.files[name].size
    hub_env()  # the server is back: the same cache completes and loads
    assert LCRDetector.from_pretrained(DEFAULT_REPO_ID, subfolder=DETECTOR, revision=variant.commit).config._commit_hash == variant.commit


@pytest.mark.hub
def test_repo_with_only_pickle_files_is_refused(hub_env, loopback_hub):
    from huggingface_hub import CommitOperationAdd, HfApi

    hub_env()
    api = HfApi(endpoint=loopback_hub.url)
    repo = "lcr-tests/pickle-only"
    api.create_repo(repo, exist_ok=True)
    config = json.loads((REPO / "checkpoints" / "detector" / "config.json").read_text())
    sha = api.create_commit(repo, commit_message="pickle", operations=[
        CommitOperationAdd("old/config.json", json.dumps(config).encode()),
        CommitOperationAdd("old/pytorch_model.bin", b"\x80\x04not really a pickle"),
    ]).oid
    with pytest.raises(CheckpointError, match=r"offers only pickle files \(old/pytorch_model.bin\).*safetensors only"):
        LCRDetector.from_pretrained(repo, subfolder="old", revision=sha)


@pytest.mark.hub
def test_remote_code_loads_in_a_fresh_python_without_lcr_hub(hub_env, tmp_path):
    env = hub_env()
    variant = get_variant(DETECTOR)
    code = (
        "import sys\n"
        "class NotInstalled:  # lcr_hub cannot be imported, as if it were not installed\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'lcr_hub':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NotInstalled())\n"
        "from transformers import AutoModel\n"
        f"m = AutoModel.from_pretrained({DEFAULT_REPO_ID!r}, subfolder={DETECTOR!r}, revision={variant.commit!r}, "
        "trust_remote_code=True)\n"
        "import torch\n"
        "out = m(torch.zeros(1, 4, m.config.hidden_size), document_mask=torch.zeros(1, 4, dtype=torch.long))\n"
        "print(type(m).__module__, type(m).__name__, tuple(out.probabilities.shape))\n"
    )
    result = run_python(code, env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    module, name, shape = result.stdout.split(maxsplit=2)
    assert module.startswith("transformers_modules") and name == "LCRDetector" and shape.strip() == "(1,)"


@pytest.mark.hub
def test_dataset_repo_loads_with_datasets_by_revision(hub_env, hub_dataset_repo):
    hub_env()
    rows = "".join(json.dumps({"id": str(i), "text": f"row {i}"}) + "\n" for i in range(3))
    sha = hub_dataset_repo("lcr-tests/tiny-data", {"data/train.jsonl": rows.encode()})
    import datasets

    loaded = datasets.load_dataset("lcr-tests/tiny-data", revision=sha, split="train")
    assert loaded["id"] == ["0", "1", "2"]


# --------------------------------------------------------------------------- local folders


def test_local_folder_with_manifest_is_verified(tmp_path):
    folder = tmp_path / "detector"
    prepare_release_folder(REPO / "checkpoints" / "detector", folder)
    assert isinstance(LCRDetector.from_pretrained(folder), LCRDetector)
    config = folder / "config.json"
    config.write_text(config.read_text().replace('"threshold": 0.6', '"threshold": 0.9'))
    with pytest.raises(IntegrityError, match="config.json: expected sha256"):
        LCRDetector.from_pretrained(folder)
    assert config.exists()  # a user's own folder is reported, never deleted
    (folder / CHECKSUMS_NAME).write_text("not a manifest line\n")
    with pytest.raises(CheckpointError, match=r"checksums.sha256:1: expected '<64 lowercase hex digits>"):
        LCRDetector.from_pretrained(folder)


def test_local_folder_with_only_pickle_weights_is_refused(tmp_path):
    shutil.copyfile(REPO / "checkpoints" / "detector" / "config.json", tmp_path / "config.json")
    (tmp_path / "pytorch_model.bin").write_bytes(b"whatever")
    with pytest.raises(CheckpointError, match=r"only pickle files \(pytorch_model.bin\)"):
        lcr_hub.LCRDetector.from_pretrained(tmp_path)


@pytest.mark.parametrize("name", ["/no/such/folder", "./missing-folder", "README.md"])
def test_a_missing_folder_is_not_taken_for_a_hub_repo(name, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    with pytest.raises(CheckpointError, match="neither an existing checkpoint folder nor a Hub repo id"):
        LCRDetector.from_pretrained(name)
