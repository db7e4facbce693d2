"""The README's commands and code run, and its results table is what the reports say.

Nothing here pins README prose: the set-up commands are CI's, every `lcr-hub` command shown
parses with the CLI's own parser, every script it names exists and accepts the options
shown, the Python usage runs, and the results block is `scripts/results_table.py`'s output.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from lcr_hub.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
NOT_RUN = "<!-- not run"


def code_blocks(path: Path, language: str) -> list[tuple[str, bool]]:
    """``(code, runnable)`` for each fenced block of ``language``; a block right after a
    ``<!-- not run ... -->`` comment is not runnable (it needs the Hub or a GPU)."""
    text = path.read_text()
    blocks = []
    for match in re.finditer(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M):
        before = text[: match.start()].rstrip().splitlines()
        blocks.append((match.group(1), not (before and before[-1].startswith(NOT_RUN))))
    return blocks


def shell_commands(path: Path) -> list[list[str]]:
    """Every simple command of every bash block, as argv lists (continuations joined,
    comments dropped, split at ``&&``, ``||``, ``|`` and ``;``)."""
    commands = []
    for block, _ in code_blocks(path, "bash"):
        for line in block.replace("\\\n", " ").splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            argv: list[str] = []
            for token in list(lexer) + [";"]:
                if token in (";", "&&", "||", "|", "&"):
                    if argv:
                        commands.append(argv)
                    argv = []
                else:
                    argv.append(token)
    return commands


def lcr_hub_arguments(argv: list[str]) -> list[str] | None:
    """The arguments after ``lcr-hub`` or ``-m lcr_hub`` (torchrun, accelerate launch), else None."""
    while argv and re.match(r"^[A-Z_]+=", argv[0]):  # VAR=value prefixes
        argv = argv[1:]
    if argv and argv[0] == "lcr-hub":
        return argv[1:]
    for i in range(len(argv) - 1):
        if argv[i] == "-m" and argv[i + 1] == "lcr_hub":
            return argv[i + 2:]
    return None


def assert_parses(args: list[str], where: str) -> None:
    try:
        build_parser().parse_args(args)
    except SystemExit as exit_:  # argparse exits on an unknown option or a missing argument
        pytest.fail(f"{where}: `lcr-hub {shlex.join(args)}` does not parse (exit {exit_.code})")


def test_readme_opens_with_the_two_commands_ci_runs():
    blocks = code_blocks(README, "bash")
    assert blocks, "the README must have a bash block"
    first = [line for line in blocks[0][0].splitlines() if line.strip()]
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert first == ci[-2:]


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_lcr_hub_command_shown_parses(path):
    shown = [args for argv in shell_commands(path) if (args := lcr_hub_arguments(argv)) is not None]
    if path == README:
        assert shown, "the README shows no lcr-hub command"
    for args in shown:
        assert_parses(args, path.name)


SCRIPT = re.compile(r"^(scripts|benchmarks)/\w+\.py$")


def script_uses() -> dict[str, set[str]]:
    """Each script run in a bash block of the README or docs/, with the options shown for it."""
    used: dict[str, set[str]] = {}
    for path in [README, *DOCS]:
        for argv in shell_commands(path):
            for i, token in enumerate(argv):
                if SCRIPT.match(token):
                    used.setdefault(token, set()).update(t.split("=")[0] for t in argv[i + 1:] if t.startswith("--"))
    return used


def test_every_script_shown_exists():
    used = script_uses()
    assert used, "no script command found in the README or docs/"
    for script in used:
        assert (REPO / script).is_file(), f"{script} is shown in the docs but does not exist"


_HELP_ALL = """
import contextlib, io, json, runpy, sys
out = {}
for script in sys.argv[1:]:
    buffer = io.StringIO()
    sys.argv = [script, "--help"]
    sys.path.insert(0, script.rsplit("/", 1)[0])
    with contextlib.redirect_stdout(buffer):
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit:
            pass
    sys.path.pop(0)
    out[script] = buffer.getvalue()
print(json.dumps(out))
"""


@pytest.mark.slow
def test_scripts_shown_accept_the_options_shown():
    """Every `--option` shown for a script is in its `--help` (one process: the imports are shared)."""
    used = script_uses()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", _HELP_ALL, *sorted(used)], capture_output=True, text=True,
                         cwd=REPO, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    helps = json.loads(out.stdout.strip().splitlines()[-1])
    for script, options in used.items():
        assert "usage:" in helps[script], f"{script} --help printed no usage"
        for option in options:
            assert re.search(rf"{re.escape(option)}\b", helps[script]), f"{script} has no option {option}"


@pytest.mark.slow
def test_readme_python_usage_runs(tmp_path, monkeypatch, capsys):
    runnable = [code for code, run in code_blocks(README, "python") if run]
    assert runnable, "the README has no runnable Python block"
    monkeypatch.chdir(tmp_path)  # the examples must not depend on the repository's folders
    for code in runnable:
        exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert re.search(r"\[0\.\d+\] \[ ?(True|False)\] \['L[1-4]_\w+'\]", out), out


def _results_table(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "scripts" / "results_table.py"), *args],
                          capture_output=True, text=True, cwd=REPO, timeout=60)


def test_results_block_is_the_scripts_output():
    out = _results_table("--check", "README.md")
    assert out.returncode == 0, out.stderr


def test_results_check_fails_on_a_changed_figure(tmp_path):
    text = README.read_text()
    block = text.split("<!-- results:begin -->")[1].split("<!-- results:end -->")[0]
    changed = tmp_path / "README.md"
    changed.write_text(text.replace(block, re.sub(r"0\.9\d\d", "0.999", block, count=1)))
    assert changed.read_text() != text
    out = _results_table("--check", str(changed))
    assert out.returncode == 1 and "differs" in out.stderr


REPORTS = sorted((REPO / "docs" / "reports").glob("*.json"))


@pytest.mark.parametrize("report", REPORTS, ids=lambda p: p.name)
def test_each_report_is_regenerated_by_its_recorded_command(report):
    """The recorded command is an `lcr-hub evaluate` that parses, reads data in the repo (or
    the bundled sample) and writes this very report."""
    data = json.loads(report.read_text())
    argv = shlex.split(data["command"])
    assert argv[:2] == ["lcr-hub", "evaluate"], data["command"]
    args = build_parser().parse_args(argv[1:])
    assert Path(args.output) == report.relative_to(REPO)
    for source in args.data or []:
        assert (REPO / source).exists(), f"{report.name}: {source} is not in the repository"


def test_reports_measured_the_current_release():
    """The reports' weights are the newest released variants (the embedded ones), so a new
    release without new reports is caught."""
    from lcr_hub.hub import get_variant

    for report in REPORTS:
        models = json.loads(report.read_text())["models"]
        for component in ("detector", "classifier"):
            released = get_variant(f"{component}/minilm").files["model.safetensors"].sha256
            assert models[component]["files"]["model.safetensors"] == released, (
                f"{report.name} measured another {component}; re-run its command and "
                "`python scripts/results_table.py --write README.md`"
            )


def test_docs_links_resolve():
    for path in [README, *DOCS]:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", path.read_text()):
            if "://" in target:
                continue
            assert (path.parent / target).exists(), f"{path.name} links to {target}, which does not exist"

