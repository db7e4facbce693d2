"""The README's two set-up commands are what CI runs, and its figures name their commands."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README must open with a bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert "pip install" in commands[0] and "lcr-hub evaluate" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_commands_verbatim():
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    commands = readme_commands()
    assert ci[-2:] == commands


def test_results_table_names_its_commands():
    text = (REPO / "README.md").read_text()
    section = text.split("## Results", 1)[1].split("\n## ", 1)[0]
    assert "RESULTS_TABLE" not in section
    rows = [line for line in section.splitlines() if re.match(r"^\|.*\d\.\d{3}", line)]
    assert rows, "the Results section has no figures"
    for line in rows:
        assert re.search(r"`(python|lcr-hub) [^`]+`", line), f"figure without its command: {line}"
