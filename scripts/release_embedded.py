#!/usr/bin/env python
"""Release the embedded checkpoints and make them byte for byte the released variants.

For each embedded component (detector, classifier) whose release would differ from its
newest registry entry, this prepares the release folder from the embedded folder with
``lcr-hub publish``'s code, publishes it to the loopback Hub serving the release archive
(one commit and a new tag, with fixed git dates), then writes the new archive, the new
registry and, last, replaces each embedded folder with the released bytes (folder by folder,
atomically). ``--extra VARIANT=FOLDER`` releases other folders the same way (the variants
trained on other bases, kept under ``released/``). Nothing is written until every publish and check has passed. Run from the
repository root, with this checkout's lcr_hub:

    PYTHONPATH=$PWD python scripts/release_embedded.py
    PYTHONPATH=$PWD python scripts/release_embedded.py --tag-suffix v9 --date 2026-12-05T10:00:00+00:00
    PYTHONPATH=$PWD python scripts/release_embedded.py --extra refinement/smollm2_135m_instruct=released/refinement-smollm2-135m-instruct

Default tags: ``<component>-minilm-v<N+1>`` after the registry's newest ``v<N>``. The
registry is ``$LCR_HUB_REGISTRY`` or the package's, the embedded folders are under
``$LCR_HUB_CHECKPOINTS`` or the package's (tests point both at copies).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARCHIVE = REPO / "tests" / "fixtures" / "hub" / "lcr-checkpoints.tar.gz"
COMPONENTS = ("detector", "classifier")
sys.path.insert(0, str(REPO / "tests"))  # loopback_hub.py: the loopback Hub and its archives

import loopback_hub  # noqa: E402  (stdlib only: safe to import before the Hub variables are set)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tag-suffix", metavar="vN",
                        help="Suffix of the new tags, <component>-minilm-<suffix> (default: each variant's next vN).")
    parser.add_argument("--components", nargs="+", choices=COMPONENTS, default=list(COMPONENTS),
                        help="Components to release (default: both; unchanged ones are skipped).")
    parser.add_argument("--extra", nargs="+", default=[], metavar="VARIANT=FOLDER",
                        help="Also release these folders as these variants, e.g. "
                             "refinement/smollm2_135m_instruct=released/refinement-smollm2-135m-instruct "
                             "(kept in the repository under released/; replaced by the released bytes).")
    parser.add_argument("--archive", type=Path, default=ARCHIVE,
                        help=f"The loopback Hub archive to publish on top of and to update (default {ARCHIVE}).")
    parser.add_argument("--date", default=None, metavar="ISO8601",
                        help="Git author and committer date of the release commits (default: now, UTC). "
                             "The same date and bytes give the same commit shas.")
    parser.add_argument("--work", type=Path, default=None,
                        help="Working folder (kept; default: a temporary folder, removed at the end).")
    return parser.parse_args(argv)


def next_tag(component: str, variant: str, suffix: str | None, tags: list[str]) -> str:
    """``<component>-<variant>-<suffix>``, or the next ``v<N>`` after the highest in ``tags``."""
    prefix = f"{component}-{variant}-"
    if suffix:
        return prefix + suffix
    numbers = [int(m.group(1)) for t in tags if (m := re.fullmatch(re.escape(prefix) + r"v(\d+)", t))]
    return f"{prefix}v{max(numbers, default=0) + 1}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    date = args.date or datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    work = args.work or Path(tempfile.mkdtemp(prefix="lcr-release-"))
    work.mkdir(parents=True, exist_ok=True)
    port = loopback_hub.free_port()
    # huggingface_hub reads these once, at import: set them before lcr_hub imports it.
    os.environ.update({
        "HF_ENDPOINT": f"http://127.0.0.1:{port}", "HF_HUB_OFFLINE": "0", "HF_HOME": str(work / "hf_home"),
        "HF_HUB_DISABLE_PROGRESS_BARS": "1", "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
    })
    import lcr_hub
    from lcr_hub._modules.atomic import staged_folder
    from lcr_hub.checkpoint import checkpoints_root, read_metadata
    from lcr_hub.constants import DEFAULT_REPO_ID, DEFAULT_VARIANT, REGISTRY_ENV
    from lcr_hub.steps import STEP_RELEASE
    from lcr_hub.hub.publish import prepare_release_folder, publish_variant
    from lcr_hub.hub.registry import get_variant, list_variants, registry_path
    from lcr_hub.hub.verify import verify_folder

    if REPO not in Path(lcr_hub.__file__).resolve().parents:
        raise SystemExit(f"lcr_hub is imported from {lcr_hub.__file__}, not from {REPO}: the release would copy "
                         f"another checkout's code. Run with PYTHONPATH={REPO}.")
    registry, checkpoints = registry_path(), checkpoints_root()
    staged_registry = work / "registry.json"
    shutil.copyfile(registry, staged_registry)
    os.environ[REGISTRY_ENV] = str(staged_registry)  # publishing appends here; copied over `registry` at the end

    sources = [(f"{component}/{DEFAULT_VARIANT}", checkpoints / component) for component in args.components]
    for extra in args.extra:
        name, sep, folder = extra.partition("=")
        if not sep or name.count("/") != 1 or not Path(folder).is_dir():
            raise SystemExit(f"--extra {extra!r}: expected VARIANT=FOLDER with a variant like "
                             "refinement/smollm2_135m_instruct and an existing checkpoint folder.")
        sources.append((name, Path(folder)))
    releases, prepared = [], {}  # (name, source, tag, publish?), variant name -> released folder
    for name, source in sources:
        component, variant = name.split("/")
        tags = [v.tag for v in list_variants() if v.name == name]
        if tags:
            newest = get_variant(name)
            probe = work / "unchanged" / name
            metadata = read_metadata(source)
            steps = metadata.steps if metadata else None
            recorded = steps[-1]["command"] if steps and steps[-1]["kind"] == STEP_RELEASE else None
            _, files = prepare_release_folder(source, probe, repo_id=newest.repo_id, subfolder=newest.subfolder,
                                              tag=newest.tag, release_command=recorded)  # the release step as recorded
            if files == newest.files:  # the newest release already has these bytes: no new tag
                if all(c.ok for c in verify_folder(source, newest.files, rehash=True)):
                    print(f"{name}: {source} is already the release {newest.tag} (commit {newest.commit}); skipped")
                else:
                    releases.append((name, source, newest.tag, False))
                    prepared[name] = probe
                continue
        releases.append((name, source, next_tag(component, variant, args.tag_suffix, tags), True))
    if not releases:
        print("nothing to release")
        return 0

    to_publish = [release for release in releases if release[3]]
    new_archive = work / "lcr-checkpoints.tar.gz"
    if to_publish:
        root = work / "hub"
        served = loopback_hub.repo_path(root, DEFAULT_REPO_ID)
        loopback_hub.import_repo(args.archive, served)
        hub = loopback_hub.LoopbackHub(root, port).start()
        try:
            for name, source, tag, _ in to_publish:
                plan = publish_variant(source, name, tag, repo_id=DEFAULT_REPO_ID, output=work / "prepared" / name)
                print(f"{name}: published {source} as tag {tag}, commit {plan.commit} (git date {date})")
                prepared[name] = plan.folder
        finally:
            hub.stop()
        loopback_hub.export_repo(served, new_archive)
    for name, _, tag, _ in releases:
        bad = [c.line() for c in verify_folder(prepared[name], get_variant(tag).files, rehash=True) if not c.ok]
        if bad:
            raise SystemExit(f"{prepared[name]} differs from the release {tag} just registered:\n" + "\n".join(bad))

    # Everything is published and checked: install the archive, the registry, the folders.
    for staged, target in ((new_archive, args.archive), (staged_registry, registry)) if to_publish else ():
        handle, tmp = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
        os.close(handle)
        shutil.copyfile(staged, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        print(f"wrote {target}")
    for name, source, tag, _ in releases:
        with staged_folder(source) as staging:
            for file in sorted(prepared[name].iterdir()):
                shutil.copyfile(file, staging / file.name)
        checks = verify_folder(source, get_variant(tag).files, rehash=True)
        bad = [c.line() for c in checks if not c.ok]
        if bad:
            raise SystemExit(f"{source} is not the release {tag} after replacing it:\n" + "\n".join(bad))
        print(f"replaced {source} with the released bytes of {tag} ({len(checks)} files ok)")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
