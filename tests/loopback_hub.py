#!/usr/bin/env python
"""A Hugging Face Hub on 127.0.0.1 for tests and for trying the hosting guide offline.

Two servers over one folder of git repositories (``ROOT/models/<org>/<name>``,
``ROOT/datasets/<org>/<name>``):

- **olah** (PyPI, offline mode) serves downloads the way the Hub does: ``resolve`` by
  branch, tag or sha with ``X-Repo-Commit`` and sha256 ETags for LFS files, the revision,
  tree and refs APIs. It runs from its own virtual environment (it pins ``psutil<6``),
  created on first use under ``~/.cache/lcr_hub/`` (or ``$LCR_HUB_OLAH_VENV``).
- **the upload endpoint** (this file, stdlib only) answers what ``HfApi`` sends to upload,
  which olah refuses: ``create_repo``, ``preupload`` (always ``regular`` mode), ``commit``
  (NDJSON, files inline as base64), ``create_tag``, ``create_branch`` and ``validate-yaml``
  (only checks that a card's front matter is closed). It writes real
  git commits (LFS pointers + ``.git/lfs/objects`` for the patterns in ``.gitattributes``)
  into the repositories olah serves, and forwards every other request to olah, so one
  ``HF_ENDPOINT`` serves uploads and downloads.

Commits take their author and dates from git's usual variables (``GIT_AUTHOR_DATE``,
``GIT_COMMITTER_DATE``...) when they are set, so a run can reproduce commit shas.

Run by hand (the hosting guide does)::

    python tests/loopback_hub.py serve --root /tmp/lcr-hub --port 8765
    export HF_ENDPOINT=http://127.0.0.1:8765
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import gzip
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
import venv
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

OLAH_VERSION = "0.5.4"
OLAH_VENV_ENV = "LCR_HUB_OLAH_VENV"
#: Attributes the Hub writes into a new repo's .gitattributes (the part that matters here).
DEFAULT_GITATTRIBUTES = "".join(
    f"{pattern} filter=lfs diff=lfs merge=lfs -text\n"
    for pattern in ("*.bin", "*.ckpt", "*.h5", "*.npy", "*.npz", "*.onnx", "*.parquet", "*.pickle", "*.pkl",
                    "*.pt", "*.pth", "*.safetensors", "*.tar.gz", "*.zip")
)
DEFAULT_AUTHOR = {"GIT_AUTHOR_NAME": "lcr-hub loopback", "GIT_AUTHOR_EMAIL": "loopback@127.0.0.1",
                  "GIT_COMMITTER_NAME": "lcr-hub loopback", "GIT_COMMITTER_EMAIL": "loopback@127.0.0.1"}
REPO_TYPE_FOLDERS = {"model": "models", "dataset": "datasets"}


class LoopbackHubError(RuntimeError):
    """The loopback Hub could not be set up (olah, git or git-lfs missing or failing)."""


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _git(repo: Path, *args: str, input: bytes | None = None, env: dict | None = None) -> str:
    full_env = {**DEFAULT_AUTHOR, **os.environ, **(env or {})}
    result = subprocess.run(["git", *args], cwd=repo, input=input, capture_output=True, env=full_env)
    if result.returncode != 0:
        raise LoopbackHubError(f"git {' '.join(args)} failed in {repo}: {result.stderr.decode().strip()}")
    return result.stdout.decode().strip()


def require_git_lfs() -> None:
    """Raise a clear error when git or git-lfs is missing (``.ci/run`` installs both)."""
    for tool, check in (("git", ["git", "--version"]), ("git-lfs", ["git", "lfs", "version"])):
        if shutil.which("git") is None or subprocess.run(check, capture_output=True).returncode != 0:
            raise LoopbackHubError(f"{tool} is not installed; install it with `apt-get install -y git git-lfs`.")


def ensure_olah() -> Path:
    """Return the ``olah-cli`` of a private virtual environment, creating it on first use.

    Raises:
        LoopbackHubError: The environment could not be created or olah not installed.
    """
    root = Path(os.environ.get(OLAH_VENV_ENV) or Path.home() / ".cache" / "lcr_hub" / f"olah-{OLAH_VERSION}")
    cli, complete = root / "bin" / "olah-cli", root / ".complete"
    if complete.is_file():
        return cli
    shutil.rmtree(root, ignore_errors=True)  # a half-made environment from an interrupted run
    venv.EnvBuilder(with_pip=True).create(root)
    result = subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "-q", f"olah=={OLAH_VERSION}"],
                            capture_output=True, text=True)
    if result.returncode != 0 or not cli.is_file():
        raise LoopbackHubError(f"pip install olah=={OLAH_VERSION} into {root} failed:\n{result.stderr[-2000:]}")
    complete.touch()
    return cli


def _wait_http(url: str, timeout: float, process: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    parsed = urllib.parse.urlsplit(url)
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=2)
            conn.request("GET", parsed.path or "/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    raise LoopbackHubError(f"{url} did not answer within {timeout:.0f} s.\n{tail}")


def repo_path(root: Path, repo_id: str, repo_type: str = "model") -> Path:
    """Folder of a repository under ``root`` (``models/<org>/<name>`` or ``datasets/...``)."""
    return Path(root) / REPO_TYPE_FOLDERS[repo_type] / repo_id


def init_repo(path: Path, gitattributes: str = DEFAULT_GITATTRIBUTES) -> str:
    """Create a git repository with one commit holding ``.gitattributes``, as the Hub does.

    Returns:
        The sha of that first commit.
    """
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")  # LFS objects are written by store_blob, no git-lfs hooks needed
    blob = _git(path, "hash-object", "-w", "--stdin", input=gitattributes.encode())
    return _commit(path, None, [("add", ".gitattributes", blob)], "initial commit", "")


def _lfs_patterns(repo: Path, commit: str | None) -> list[str]:
    if commit is None:
        return []
    try:
        text = _git(repo, "show", f"{commit}:.gitattributes")
    except LoopbackHubError:
        return []
    return [line.split()[0] for line in text.splitlines() if "filter=lfs" in line.split()[1:]]


def _is_lfs(path: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if "/" in pattern.strip("/"):
            if fnmatch.fnmatch(path, pattern.lstrip("/")):
                return True
        elif fnmatch.fnmatch(path.rsplit("/", 1)[-1], pattern):
            return True
    return False


def store_blob(repo: Path, path: str, data: bytes, lfs_patterns: list[str]) -> str:
    """Write a file's git blob (an LFS pointer plus the object for LFS paths); return its sha."""
    if _is_lfs(path, lfs_patterns):
        oid = hashlib.sha256(data).hexdigest()
        target = repo / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            tmp = target.with_name(oid + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
        data = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n".encode()
    return _git(repo, "hash-object", "-w", "--stdin", input=data)


def _commit(repo: Path, parent: str | None, ops: list[tuple[str, str, str]], summary: str, description: str,
            branch: str = "main") -> str:
    """Apply (kind, path, blob) ops to ``parent``'s tree and move ``branch`` to the new commit."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if parent is not None:
            _git(repo, "read-tree", parent, env=env)
        for kind, path, blob in ops:
            if kind == "add":
                _git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            elif kind == "delete_file":
                if not _git(repo, "ls-files", "--", path, env=env):
                    raise FileNotFoundError(path)
                _git(repo, "update-index", "--force-remove", "--", path, env=env)
            else:  # delete_folder
                for name in _git(repo, "ls-files", "--", path.rstrip("/") + "/", env=env).splitlines():
                    _git(repo, "update-index", "--force-remove", "--", name, env=env)
        tree = _git(repo, "write-tree", env=env)
        message = summary + (f"\n\n{description}" if description else "")
        args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
        commit = _git(repo, *args)
        _git(repo, "update-ref", f"refs/heads/{branch}", commit, *([parent] if parent else []))
        return commit


# --------------------------------------------------------------------------- archives


#: Released bytes that are also committed under ``checkpoints/`` (the current embedded
#: checkpoints) are left out of archives and restored from there on import, so the repository
#: does not hold the same weights twice.
CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
#: Inside an archive: ``<oid> <path relative to CHECKPOINTS>`` per LFS object left out (the path it
#: had when exported; superseded weights are found by sha256 in the tree or in git history).
REUSED_LIST = ".git/lfs/reused-from-checkpoints"


def _lfs_object(repo: Path, oid: str) -> Path:
    return repo / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid


#: Where released bytes are also kept in the repository: the embedded checkpoints, and the
#: released variants on other bases (``released/``). The archive leaves out LFS objects found here.
REUSE_ROOTS = (CHECKPOINTS, CHECKPOINTS.parent / "released")


def _checkpoint_files() -> dict[str, Path]:
    """sha256 -> file, for every file under ``checkpoints/`` and ``released/``."""
    found = {}
    for root in REUSE_ROOTS:
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            found[hashlib.sha256(file.read_bytes()).hexdigest()] = file
    return found


def _history_weights() -> dict[str, tuple[str, str]]:
    """sha256 -> (git blob id, path relative to ``checkpoints/``), for every weights file ever
    committed under ``checkpoints/``: superseded releases stay restorable from git history
    without a copy in the working tree. Empty outside a git checkout."""
    root = CHECKPOINTS.parent
    # For a while the embedded checkpoints sat under `lcr_hub/checkpoints/`: look there too.
    places = (CHECKPOINTS.name, f"lcr_hub/{CHECKPOINTS.name}", *(r.name for r in REUSE_ROOTS[1:]))
    listing = subprocess.run(["git", "-C", str(root), "rev-list", "--all", "--objects", "--", *places],
                             capture_output=True, text=True)
    found: dict[str, tuple[str, str]] = {}
    seen: set[str] = set()
    for line in listing.stdout.splitlines() if listing.returncode == 0 else []:
        blob, _, path = line.partition(" ")
        if not path.endswith(".safetensors") or blob in seen:
            continue
        seen.add(blob)
        data = subprocess.run(["git", "-C", str(root), "cat-file", "blob", blob], capture_output=True, check=True).stdout
        place = next(p for p in places if path.startswith(p + "/"))
        relative = Path(path).relative_to(place) if place != places[-1] else Path("..", path)
        found[hashlib.sha256(data).hexdigest()] = (blob, relative.as_posix())
    return found


def export_repo(path: Path, archive: Path) -> None:
    """Pack a served repository's ``.git`` (objects, refs, LFS objects) into a .tar.gz.

    LFS objects whose bytes are a file under ``checkpoints/``, now or in git history, are not
    packed; their oid and that file's path are listed in ``REUSED_LIST`` for :func:`import_repo`.
    """
    _git(path, "gc", "-q", "--prune=now")
    archive.parent.mkdir(parents=True, exist_ok=True)
    tmp = archive.with_name(archive.name + ".tmp")
    reusable = {oid: relative for oid, (_, relative) in _history_weights().items()}
    reusable.update({oid: Path(os.path.relpath(file, CHECKPOINTS)).as_posix() for oid, file in _checkpoint_files().items()})
    objects = sorted((path / ".git" / "lfs" / "objects").rglob("*"))
    reused = {p.name: reusable[p.name] for p in objects if p.is_file() and p.name in reusable}
    listing = "".join(f"{oid} {relative}\n" for oid, relative in sorted(reused.items()))

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if "/hooks/" in info.name or info.name.endswith(("/hooks", "/index", "/logs")) or "/logs/" in info.name:
            return None
        if Path(info.name).name in reused:
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        return info

    (path / REUSED_LIST).write_text(listing)
    with gzip.GzipFile(tmp, "wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        tar.add(path / ".git", arcname=".git", filter=clean)
    tmp.replace(archive)


def import_repo(archive: Path, path: Path) -> None:
    """Unpack an archive written by :func:`export_repo` as a served repository at ``path``.

    Raises:
        RuntimeError: A released LFS object left out of the archive is neither under
            ``checkpoints/`` nor in its git history with the same bytes.
    """
    path.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(path, filter="data")
    listing = path / REUSED_LIST
    available: dict[str, Path] | None = None
    history: dict[str, tuple[str, str]] | None = None
    for line in listing.read_text().splitlines() if listing.exists() else []:
        oid, relative = line.split(" ", 1)
        target = _lfs_object(path, oid)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = CHECKPOINTS / relative
        if not source.is_file() or hashlib.sha256(source.read_bytes()).hexdigest() != oid:
            # Retrained since: the file moved, or only git history holds a superseded release.
            available = _checkpoint_files() if available is None else available
            source = available.get(oid)
        if source is not None:
            shutil.copyfile(source, target)
            continue
        history = _history_weights() if history is None else history
        if oid not in history:
            raise RuntimeError(
                f"{archive}: the released object {oid} was taken from checkpoints/{relative}, and no file "
                "under checkpoints/ has those bytes any more, in the working tree or in git history (a "
                "shallow clone has none). Clone with full history, or re-export the archive with the "
                "released object inside."
            )
        blob = history[oid][0]
        target.write_bytes(
            subprocess.run(["git", "-C", str(CHECKPOINTS.parent), "cat-file", "blob", blob], capture_output=True,
                           check=True).stdout
        )
    _git(path, "lfs", "install", "--local")


# --------------------------------------------------------------------------- servers


class OlahServer:
    """olah in offline mode over ``root`` on a free 127.0.0.1 port."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = Path(root)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = self.root / f"olah-{self.port}.log"

    def start(self, timeout: float = 180.0) -> "OlahServer":
        cli = ensure_olah()
        work = self.root / ".olah"
        work.mkdir(parents=True, exist_ok=True)
        config = work / f"olah-{self.port}.toml"
        netloc = f"127.0.0.1:{self.port}"
        config.write_text(
            "[basic]\n"
            f'host = "127.0.0.1"\nport = {self.port}\n'
            f'repos-path = "{work / "cache"}"\nmirrors-path = ["{self.root}"]\n'
            f'mirror-netloc = "{netloc}"\nmirror-lfs-netloc = "{netloc}"\n'
            # The upstream Hub is a closed local port: offline mode never calls it.
            'hf-scheme = "http"\nhf-netloc = "127.0.0.1:9"\nhf-lfs-netloc = "127.0.0.1:9"\n'
            # Branches move during tests: resolve them on every request.
            "metadata-cache-ttl = 0\n"
            "[accessibility]\noffline = true\n"
        )
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([str(cli), "-c", str(config)], cwd=work, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_http(f"{self.url}/api/models/lcr-hub/loopback-probe/revision/main", timeout, self.process, self.log)
        except LoopbackHubError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class _Handler(BaseHTTPRequestHandler):
    server: "UploadEndpoint"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet
        pass

    # -- plumbing
    def _send_json(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status >= 400:
            self.send_header("X-Error-Message", str(payload.get("error", "")) if isinstance(payload, dict) else "")
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _proxy(self) -> None:
        body = self._body() if self.command in ("POST", "PUT") else None
        conn = http.client.HTTPConnection("127.0.0.1", self.server.olah_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except OSError as error:
            self._send_json(502, {"error": f"olah unreachable: {error}"})
            return
        finally:
            conn.close()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                if key.lower() == "location":
                    value = value.replace(f"127.0.0.1:{self.server.olah_port}", f"127.0.0.1:{self.server.port}")
                self.send_header(key, value)
        # A HEAD answer carries the size of the body a GET would return.
        size = response.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", size if size is not None else str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._send_json(200, {"ok": True})
        else:
            self._proxy()

    do_HEAD = do_GET

    def do_POST(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        parts = path.strip("/").split("/")
        try:
            if path == "/api/repos/create":
                self._create_repo(json.loads(self._body() or b"{}"))
            elif path == "/api/validate-yaml":
                self._validate_yaml(json.loads(self._body())["content"])
            elif len(parts) >= 6 and parts[0] == "api" and parts[4] in ("preupload", "commit", "tag", "branch"):
                repo_type = {"models": "model", "datasets": "dataset"}.get(parts[1])
                if repo_type is None:
                    self._send_json(404, {"error": f"unknown repo type {parts[1]}"})
                    return
                repo_id = f"{parts[2]}/{parts[3]}"
                revision = urllib.parse.unquote("/".join(parts[5:]))
                repo = repo_path(self.server.root, repo_id, repo_type)
                if not (repo / ".git").is_dir():
                    self._send_json(404, {"error": "Repository not found"})
                    return
                with self.server.lock:
                    getattr(self, f"_{parts[4]}")(repo, repo_type, repo_id, revision)
            else:
                self._send_json(405, {"error": f"not implemented by the loopback endpoint: POST {path}"})
        except (LoopbackHubError, ValueError, KeyError) as error:
            self._send_json(400, {"error": str(error)})

    # -- API
    def _create_repo(self, payload: dict) -> None:
        repo_type = payload.get("type") or "model"
        name, org = payload["name"], payload.get("organization")
        if not org or repo_type not in REPO_TYPE_FOLDERS:
            self._send_json(400, {"error": "the loopback endpoint needs an organization and a model/dataset type"})
            return
        repo_id = f"{org}/{name}"
        path = repo_path(self.server.root, repo_id, repo_type)
        with self.server.lock:
            if path.exists():
                self._send_json(409, {"error": "You already created this repo", "url": self._url(repo_type, repo_id)})
                return
            init_repo(path)
        self._send_json(200, {"url": self._url(repo_type, repo_id), "name": repo_id})

    def _validate_yaml(self, content: str) -> None:
        # The Hub checks the card's metadata against its schema; this only checks that a
        # front matter that opens also closes.
        if content.startswith("---\n") and "\n---\n" not in content[3:]:
            self._send_json(400, {"errors": [{"message": "README.md front matter is not closed by '---'"}]})
        else:
            self._send_json(200, {"errors": [], "warnings": []})

    def _url(self, repo_type: str, repo_id: str) -> str:
        prefix = "" if repo_type == "model" else f"{REPO_TYPE_FOLDERS[repo_type]}/"
        return f"http://127.0.0.1:{self.server.port}/{prefix}{repo_id}"

    def _branch_head(self, repo: Path, revision: str) -> str | None:
        try:
            return _git(repo, "rev-parse", "--verify", "-q", f"refs/heads/{revision}^{{commit}}")
        except LoopbackHubError:
            return None

    def _preupload(self, repo: Path, repo_type: str, repo_id: str, revision: str) -> None:
        files = json.loads(self._body())["files"]
        self._send_json(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                        for f in files]})

    def _commit(self, repo: Path, repo_type: str, repo_id: str, revision: str) -> None:
        lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
        parent = self._branch_head(repo, revision)
        if parent is None:
            self._send_json(404, {"error": f"Invalid rev id: {revision}"})
            return
        header = next((item["value"] for item in lines if item["key"] == "header"), {})
        if header.get("parentCommit") and header["parentCommit"] != parent:
            self._send_json(412, {"error": f"parent commit {header['parentCommit']} is not the head of {revision}"})
            return
        patterns = _lfs_patterns(repo, parent)
        ops: list[tuple[str, str, str]] = []
        for item in lines:
            key, value = item["key"], item["value"]
            if key == "file":
                data = base64.b64decode(value["content"])
                if value["path"] == ".gitattributes":
                    patterns = [ln.split()[0] for ln in data.decode().splitlines() if "filter=lfs" in ln]
                ops.append(("add", value["path"], store_blob(repo, value["path"], data, patterns)))
            elif key in ("deletedFile", "deletedFolder"):
                ops.append(("delete_file" if key == "deletedFile" else "delete_folder", value["path"], ""))
            elif key != "header":
                self._send_json(400, {"error": f"commit operation {key!r} is not supported (preupload says regular)"})
                return
        try:
            commit = _commit(repo, parent, ops, header.get("summary", ""), header.get("description", ""), revision)
        except FileNotFoundError as missing:
            self._send_json(404, {"error": f"A file with this name doesn't exist: {missing}"})
            return
        prefix = "" if repo_type == "model" else f"{REPO_TYPE_FOLDERS[repo_type]}/"
        self._send_json(200, {"success": True, "commitOid": commit, "pullRequestUrl": None,
                              "commitUrl": f"http://127.0.0.1:{self.server.port}/{prefix}{repo_id}/commit/{commit}"})

    def _tag(self, repo: Path, repo_type: str, repo_id: str, revision: str) -> None:
        tag = json.loads(self._body())["tag"]
        if _git(repo, "tag", "--list", tag):
            self._send_json(409, {"error": f"Tag {tag} already exists"})
            return
        try:
            commit = _git(repo, "rev-parse", "--verify", "-q", f"{revision}^{{commit}}")
        except LoopbackHubError:
            self._send_json(404, {"error": f"Invalid rev id: {revision}"})
            return
        _git(repo, "tag", tag, commit)
        self._send_json(200, {})

    def _branch(self, repo: Path, repo_type: str, repo_id: str, revision: str) -> None:
        payload = json.loads(self._body() or b"{}")
        if self._branch_head(repo, revision) is not None:
            self._send_json(409, {"error": f"Branch {revision} already exists"})
            return
        start = payload.get("startingPoint") or "main"
        try:
            commit = _git(repo, "rev-parse", "--verify", "-q", f"{start}^{{commit}}")
        except LoopbackHubError:
            self._send_json(404, {"error": f"Invalid rev id: {start}"})
            return
        _git(repo, "update-ref", f"refs/heads/{revision}", commit)
        self._send_json(200, {})


class UploadEndpoint(ThreadingHTTPServer):
    """The upload API on a free 127.0.0.1 port, forwarding everything else to olah."""

    daemon_threads = True

    def __init__(self, root: Path, olah_port: int, port: int | None = None) -> None:
        super().__init__(("127.0.0.1", port or 0), _Handler)
        self.root = Path(root)
        self.olah_port = olah_port
        self.port = self.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> "UploadEndpoint":
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class DroppingProxy:
    """A TCP relay to ``upstream_port`` that dies after relaying ``cut_after`` response bytes.

    It then closes every connection and stops listening, as a server that stops mid-download.
    """

    def __init__(self, upstream_port: int, cut_after: int) -> None:
        self.upstream_port = upstream_port
        self.remaining = cut_after
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.dead = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.dead.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, counted: bool) -> None:
        try:
            while chunk := source.recv(16384):
                if counted:
                    with self.lock:
                        allowed = max(0, min(len(chunk), self.remaining))
                        self.remaining -= allowed
                    target.sendall(chunk[:allowed])
                    if allowed < len(chunk):
                        self.stop()
                        return
                else:
                    target.sendall(chunk)
        except OSError:
            pass

    def stop(self) -> None:
        self.dead.set()
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()


class _MirrorHandler(BaseHTTPRequestHandler):
    server: "HostileMirror"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet
        pass

    def _rule(self) -> "bytes | int | None":
        parts = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).split("/resolve/", 1)
        if len(parts) != 2:
            return None
        revision, _, path = parts[1].partition("/")
        with self.server.lock:
            for revisions, rule_path, action in self.server.rules:
                if rule_path == path and (revisions is None or revision in revisions):
                    return action
        return None

    def _answer(self) -> None:
        action = self._rule()
        if isinstance(action, int):
            body = b'{"error": "hostile mirror"}'
            self.send_response(action)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        try:
            conn.request(self.command, self.path, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if action is not None and response.status == 200:
            data = action if self.command != "HEAD" else b""
            size = str(len(action))
        else:
            size = response.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
        self.send_response(response.status)
        for key, value in response.getheaders():  # ETag and X-Repo-Commit are kept: the mirror lies
            if key.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                self.send_header(key, value.replace(f"127.0.0.1:{self.server.upstream_port}", self.server.netloc))
        self.send_header("Content-Length", size or str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = _answer
    do_HEAD = _answer


class HostileMirror(ThreadingHTTPServer):
    """An HTTP mirror of ``upstream_port`` (olah) that serves other bytes for chosen files.

    ``swap(path, data)`` serves ``data`` for ``/<repo>/resolve/<revision>/<path>`` (HEAD
    advertises its size; the upstream ETag and ``X-Repo-Commit`` are kept, as a lying mirror
    would); ``swap(path, 500)`` answers that status instead. ``revisions`` limits a rule to
    those revisions as they appear in the URL (branch, tag or sha). ``clear()`` removes every
    rule. Everything else is relayed unchanged.
    """

    daemon_threads = True

    def __init__(self, upstream_port: int) -> None:
        super().__init__(("127.0.0.1", 0), _MirrorHandler)
        self.upstream_port = upstream_port
        self.port = self.server_address[1]
        self.netloc = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.netloc}"
        self.lock = threading.Lock()
        self.rules: list[tuple[set[str] | None, str, bytes | int]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def swap(self, path: str, action: bytes | int, revisions: set[str] | None = None) -> None:
        with self.lock:
            self.rules.append((revisions, path, action))

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class LoopbackHub:
    """olah plus the upload endpoint over one root folder.

    Attributes:
        url: The endpoint to use as ``HF_ENDPOINT`` for uploads and downloads.
        olah_url: olah itself (downloads only).
    """

    def __init__(self, root: Path, port: int | None = None) -> None:
        require_git_lfs()
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.olah = OlahServer(self.root)
        self._port = port
        self.endpoint: UploadEndpoint | None = None

    @property
    def url(self) -> str:
        assert self.endpoint is not None
        return self.endpoint.url

    @property
    def olah_url(self) -> str:
        return self.olah.url

    def start(self) -> "LoopbackHub":
        self.olah.start()
        self.endpoint = UploadEndpoint(self.root, self.olah.port, self._port).start()
        return self

    def stop(self) -> None:
        if self.endpoint is not None:
            self.endpoint.stop()
        self.olah.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="Start olah and the upload endpoint until interrupted.")
    serve.add_argument("--root", required=True, help="Folder of the served git repositories.")
    serve.add_argument("--port", type=int, default=8765, help="Port of the endpoint (HF_ENDPOINT).")
    export = sub.add_parser("export", help="Archive a served repository (.git and LFS objects).")
    export.add_argument("--root", required=True)
    export.add_argument("--repo-id", required=True)
    export.add_argument("--output", required=True, help="The .tar.gz to write.")
    unpack = sub.add_parser("import", help="Unpack an exported repository (restoring objects from checkpoints/).")
    unpack.add_argument("--root", required=True)
    unpack.add_argument("--repo-id", required=True)
    unpack.add_argument("--archive", required=True, help="The .tar.gz written by export.")
    args = parser.parse_args(argv)
    if args.command == "export":
        export_repo(repo_path(Path(args.root), args.repo_id), Path(args.output))
        print(f"wrote {args.output}")
        return 0
    if args.command == "import":
        import_repo(Path(args.archive), repo_path(Path(args.root), args.repo_id))
        print(f"unpacked {args.archive} as {args.repo_id} under {args.root}")
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` stops olah too (finally below)
    hub = LoopbackHub(Path(args.root), args.port).start()
    print(f"loopback Hub ready: HF_ENDPOINT={hub.url} (olah at {hub.olah_url}, repositories under {hub.root})",
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
