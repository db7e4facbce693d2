"""Publish a trained checkpoint folder as a variant of the Hub repo, in one commit, with a tag.

The published folder holds the checkpoint's files, a model card rendered from its training
metadata, the remote code (``configuration_lcr.py``, ``modeling_lcr.py``, ``errors.py``
and an ``auto_map`` in ``config.json``) and ``checksums.sha256``. It is uploaded with a
single ``HfApi.create_commit``, tagged (an existing tag is never reused), and recorded in
the registry.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import HfHubHTTPError

from ..cards import render_model_card
from ..checkpoint import folder_files, prepare_release, read_checkpoint
from ..models.configuration_lcr import LCRClassifierConfig, LCRDetectorConfig, LCRRefinementConfig
from ..constants import CONFIG_NAME, DEFAULT_REPO_ID, METADATA_NAME, REMOTE_CODE_FILES, WEIGHTS_NAME
from ..errors import PublishError
from ..steps import STEP_RELEASE, step_record
from .loading import _is_pickle
from .registry import COMMIT_RE, FileDigest, Variant, add_variant, list_variants, registry_path

#: model_type -> (config class name, model class name) for the ``auto_map`` of remote code.
AUTO_MAP_CLASSES = {
    LCRDetectorConfig.model_type: ("LCRDetectorConfig", "LCRDetector"),
    LCRRefinementConfig.model_type: ("LCRRefinementConfig", "LCRRefinement"),
    LCRClassifierConfig.model_type: ("LCRClassifierConfig", "LCRClassifier"),
}
PACKAGE_DIR = Path(__file__).resolve().parents[1]
VARIANT_RE = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)*$")
TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class PublishPlan:
    """What :func:`publish_variant` uploads (or, with ``dry_run``, would upload).

    Args:
        repo_id: Target repo.
        subfolder: Target folder in the repo (the variant name).
        tag: Tag to create on the new commit.
        branch: Branch the commit goes to.
        folder: The prepared local folder.
        model_type: The checkpoint's model type.
        files: Path inside ``subfolder`` -> digest, for every uploaded file.
        deletions: Paths in the repo under ``subfolder`` that the commit removes.
        commit: The new commit's sha (None for a dry run).
    """

    repo_id: str
    subfolder: str
    tag: str
    branch: str
    folder: Path
    model_type: str
    files: dict[str, FileDigest]
    deletions: list[str] = field(default_factory=list)
    commit: str | None = None

    def describe(self) -> str:
        """The plan as printed by ``lcr-hub publish``."""
        lines = [
            f"repo      {self.repo_id} (branch {self.branch})",
            f"folder    {self.subfolder}/  ({self.model_type}, prepared in {self.folder})",
            f"tag       {self.tag}",
            f"registry  {registry_path()}",
            f"one commit with {len(self.files)} file(s):",
            *(f"  {d.sha256}  {d.size:>10}  {self.subfolder}/{name}" for name, d in sorted(self.files.items())),
            *(f"  delete {path}" for path in self.deletions),
        ]
        return "\n".join(lines)


def prepare_release_folder(source: str | os.PathLike, output: str | os.PathLike, *, repo_id: str = DEFAULT_REPO_ID,
                           subfolder: str = "", tag: str = "",
                           release_command: str | None = None) -> tuple[str, dict[str, FileDigest]]:
    """Write the folder to publish: checkpoint files, card, remote code, auto_map, manifest.

    Args:
        source: A trained checkpoint folder (``config.json``, ``model.safetensors``,
            ``training_metadata.json``).
        output: The folder to write (replaced whole, atomically).
        repo_id, subfolder, tag: Where it will live: the card's loading snippet and the
            ``auto_map`` (which names the code by its path in the repo) use them.
        release_command: The command recorded as the release step, when the source records
            its steps (default: the one running; ``lcr-hub rebuild`` passes the recorded one).

    Returns:
        The model type and the digest of every written file.

    Raises:
        PublishError: A required file is missing, or the folder holds pickle files.
        IntegrityError: A file differs from the digest the folder records (its
            ``checksums.sha256`` or ``weights_sha256``): damaged bytes are never published.

    Example:
        >>> import tempfile
        >>> from lcr_hub.checkpoint import default_checkpoint
        >>> model_type, files = prepare_release_folder(default_checkpoint("detector"), tempfile.mkdtemp() + "/detector")
        >>> model_type, "checksums.sha256" in files, "modeling_lcr.py" in files
        ('lcr_detector', True, True)
    """
    source = Path(source)
    missing = [name for name in (CONFIG_NAME, WEIGHTS_NAME, METADATA_NAME) if not (source / name).is_file()]
    if missing:
        raise PublishError(f"{source} lacks {missing}: publish a folder written by a training run (scripts/train_*.py).")
    pickles = [name for name in folder_files(source) if _is_pickle(name)]
    if pickles:
        raise PublishError(f"{source} holds pickle files {pickles}; publish safetensors only (remove them).")
    checkpoint = read_checkpoint(source)
    config = dict(checkpoint.config)
    model_type = checkpoint.model_type
    if model_type not in AUTO_MAP_CLASSES:
        raise PublishError(f"{source / CONFIG_NAME}: model_type {model_type!r} is not one of {sorted(AUTO_MAP_CLASSES)}.")
    config_class, model_class = AUTO_MAP_CLASSES[model_type]
    # transformers looks remote code up from the repo root (it ignores `subfolder`), so the
    # auto_map names the code by its path in the repo: the folder must be uploaded there.
    prefix = f"{subfolder.strip('/')}/" if subfolder.strip("/") else ""
    config["auto_map"] = {"AutoConfig": f"{prefix}configuration_lcr.{config_class}",
                          "AutoModel": f"{prefix}modeling_lcr.{model_class}"}
    metadata = checkpoint.metadata
    if metadata.steps is not None:  # this release is the last step (it replaces a release step of the source)
        kept = metadata.steps[:-1] if metadata.steps and metadata.steps[-1]["kind"] == STEP_RELEASE else metadata.steps
        metadata.steps = [*kept, step_record(STEP_RELEASE, release_command, repo_id=repo_id, subfolder=subfolder, tag=tag)]
    card = render_model_card(metadata.to_dict()) + _loading_section(repo_id, subfolder, tag)
    remote_code = {name: PACKAGE_DIR / package_path for name, package_path in REMOTE_CODE_FILES.items()}
    digests = prepare_release(source, output, config=config, card=card, extra_files=remote_code,
                              metadata=metadata if metadata.steps is not None else None)
    return model_type, digests


def _loading_section(repo_id: str, subfolder: str, tag: str) -> str:
    revision = tag or "<full commit sha>"
    return (
        "\n## Loading from the Hub\n\n"
        "```python\n"
        "import lcr_hub  # registers the classes and checks every file's sha256 before loading\n"
        "from transformers import AutoModel\n\n"
        f'model = AutoModel.from_pretrained("{repo_id}", subfolder="{subfolder}", revision="{revision}")\n'
        "```\n\n"
        "lcr_hub pins this release (tag and full commit sha, sha256 of every file) in its registry; "
        "`lcr-hub variants` prints the commit sha, `lcr-hub verify` re-checks a downloaded copy. "
        "`checksums.sha256` lists the same digests (`sha256sum -c checksums.sha256`).\n"
    )


def publish_variant(
    source: str | os.PathLike,
    name: str,
    tag: str,
    *,
    repo_id: str = DEFAULT_REPO_ID,
    branch: str = "main",
    output: str | os.PathLike | None = None,
    dry_run: bool = False,
    commit_message: str | None = None,
    token: str | bool | None = None,
) -> PublishPlan:
    """Publish ``source`` as variant ``name`` (its subfolder) of ``repo_id``.

    Uploads through ``HfApi`` to ``HF_ENDPOINT`` (the Hub by default) in one
    ``create_commit``, creates ``tag`` on that commit and appends the release to the
    registry (``$LCR_HUB_REGISTRY`` or the package's ``registry.json``).

    Args:
        source: A trained checkpoint folder.
        name: The variant, e.g. ``"classifier/deberta_v3_large"``; also its subfolder.
        tag: A new tag, e.g. ``"classifier-deberta_v3_large-v1"``; existing tags are refused.
        repo_id: Target repo.
        branch: Branch to commit to.
        output: Keep the prepared folder here (default: a temporary folder).
        dry_run: Prepare the folder and return the plan; upload nothing.
        commit_message: Default ``"Publish <name> (<tag>)"``.
        token: Hub token, as for ``huggingface_hub``.

    Returns:
        The plan, with ``commit`` set to the new commit's full sha unless ``dry_run``.

    Raises:
        PublishError: Bad source folder, the tag exists (on the Hub or in the registry), or
            the upload failed.

    Example:
        >>> plan = publish_variant("checkpoints/detector", "detector/minilm", "detector-minilm-v1")  # doctest: +SKIP
        >>> plan.commit  # doctest: +SKIP
        '5d3e...'
    """
    subfolder = name.strip("/")
    if not VARIANT_RE.match(subfolder) or not TAG_RE.match(tag) or COMMIT_RE.match(tag):
        raise PublishError(
            f"Need a variant name like 'classifier/deberta_v3_large' (lowercase letters, digits and '_', '/' between "
            f"parts: it becomes a Python module path for remote code) and a tag like 'classifier-deberta_v3_large-v1' "
            f"(no '/'); got {name!r} and {tag!r}."
        )
    if any(v.repo_id == repo_id and v.tag == tag for v in list_variants()):
        raise PublishError(f"The registry {registry_path()} already has tag {tag!r} for {repo_id}; tags are never reused.")
    workdir = None
    if output is None:
        workdir = tempfile.mkdtemp(prefix="lcr-publish-")
        output = Path(workdir) / subfolder.replace("/", "-")
    try:
        model_type, files = prepare_release_folder(source, output, repo_id=repo_id, subfolder=subfolder, tag=tag)
        plan = PublishPlan(repo_id, subfolder, tag, branch, Path(output), model_type, files)
        if dry_run:
            return plan
        api = HfApi(token=token)
        try:
            api.create_repo(repo_id, exist_ok=True)
            refs = api.list_repo_refs(repo_id)
            existing = {t.name: t.target_commit for t in refs.tags}
            if tag in existing:
                raise PublishError(
                    f"Tag {tag!r} already exists on {repo_id} (commit {existing[tag]}); tags are never reused, so "
                    "pinned users keep what they pinned. Choose a new tag (e.g. bump -vN)."
                )
            present = api.list_repo_files(repo_id, revision=branch)
            plan.deletions = sorted(p for p in present if p.startswith(f"{subfolder}/") and p[len(subfolder) + 1:] not in files)
            operations = [CommitOperationAdd(f"{subfolder}/{n}", str(Path(output) / n)) for n in sorted(files)]
            operations += [CommitOperationDelete(path) for path in plan.deletions]
            info = api.create_commit(
                repo_id, operations=operations, revision=branch,
                commit_message=commit_message or f"Publish {subfolder} ({tag})",
            )
            plan.commit = info.oid
            api.create_tag(repo_id, tag=tag, revision=plan.commit, tag_message=f"{subfolder} release")
        except HfHubHTTPError as error:
            made = f" Commit {plan.commit} was created but not tagged or registered." if plan.commit else ""
            raise PublishError(f"Publishing {subfolder} to {repo_id} at {api.endpoint} failed: {error}.{made}") from None
        add_variant(Variant(subfolder, model_type, repo_id, subfolder, tag, plan.commit, files))
        return plan
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
