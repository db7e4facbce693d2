"""Print the README's results table from `lcr-hub evaluate --output` JSON reports.

Every figure comes from a report, and every report records the command that wrote it, so
the table cannot drift from what a command in the repository regenerates:

    python scripts/results_table.py                     # print the table (docs/reports/*.json)
    python scripts/results_table.py --write README.md   # replace the block between the markers
    python scripts/results_table.py --check README.md   # exit 1 if the block differs

The block sits between ``<!-- results:begin -->`` and ``<!-- results:end -->``. To refresh a
figure, re-run the command shown in its row (it rewrites the report), then ``--write``.
Standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO / "docs" / "reports"
BEGIN = "<!-- results:begin -->"
END = "<!-- results:end -->"
LEVELS = ("L1", "L2", "L3", "L4")


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _with_ci(section: dict, key: str) -> str:
    interval = section.get("ci95", {}).get(key)
    text = _f(section.get(key))
    return f"{text} [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else text


def _data_name(report: dict) -> str:
    names = []
    for source in report["data"]["sources"]:
        path = Path(source)
        if path.is_absolute():  # the default (bundled sample) is recorded as an absolute path
            parts = path.parts
            last = len(parts) - 1 - parts[::-1].index("lcr_hub") if "lcr_hub" in parts else None
            path = Path(*parts[last:]) if last is not None else Path(path.name)
        names.append(f"`{path.as_posix()}`")
    return ", ".join(names)


def _weights(report: dict, component: str) -> str:
    digest = report["models"][component]["files"].get("model.safetensors", "")
    return f"`{digest[:8]}`" if digest else "-"


def row(report: dict) -> str:
    """One report's row: the detector's figures, then the classifier's."""
    d, c = report["detector"], report["classifier"]
    seconds = report.get("provenance", {}).get("wall_time_s")
    wall = f"{seconds:.0f} s" if seconds is not None else "-"
    levels = ", ".join(f"{lv} {d['per_level'][lv]['accuracy']:.3f}" for lv in LEVELS if lv in d["per_level"])
    return (f"| {_data_name(report)} | {d['n']} / {c['n']} | {_with_ci(d, 'accuracy')} | {_f(d['f1'])} | "
            f"{_f(d.get('auroc'))} | {_f(d['ece'])} | {levels} | {_with_ci(c, 'accuracy')} | {_f(c['macro_f1'])} | "
            f"`{report['command']}` | {wall} |")


def table(paths: list[Path]) -> str:
    """The Markdown table of the given reports, in the order given, and the weights they measured."""
    reports = [json.loads(path.read_text()) for path in paths]
    lines = [
        "| data | examples / conflicts | detector accuracy [95% CI] | F1 | AUROC | ECE | detector accuracy per level "
        "| classifier accuracy [95% CI] | macro-F1 | command | wall time |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [row(report) for report in reports]
    weights = sorted({(_weights(r, "detector"), _weights(r, "classifier")) for r in reports})
    lines += ["", "Weights (`model.safetensors` sha256): "
              + "; ".join(f"detector {det}, classifier {cls}" for det, cls in weights) + "."]
    return "\n".join(lines)


def default_reports() -> list[Path]:
    return sorted(REPORTS.glob("*.json"))


def _split(text: str, where: str) -> tuple[str, str, str]:
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise SystemExit(f"{where}: needs exactly one {BEGIN} ... {END} block")
    head, rest = text.split(BEGIN)
    body, tail = rest.split(END)
    return head, body, tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", nargs="*", type=Path,
                        help="evaluate JSON reports, in table order (default: docs/reports/*.json, sorted)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", metavar="FILE", type=Path, help="Exit 1 if FILE's results block differs from the table.")
    group.add_argument("--write", metavar="FILE", type=Path, help="Replace FILE's results block with the table.")
    args = parser.parse_args(argv)
    paths = args.reports or default_reports()
    if not paths:
        parser.error(f"no reports given and none in {REPORTS}")
    expected = "\n" + table(paths) + "\n"
    if args.check is None and args.write is None:
        print(table(paths))
        return 0
    target = args.check or args.write
    text = target.read_text()
    head, body, tail = _split(text, str(target))
    if args.write is not None:
        if body != expected:
            target.write_text(head + BEGIN + expected + END + tail)
            print(f"{target}: results block updated")
        return 0
    if body == expected:
        return 0
    diff = difflib.unified_diff(body.splitlines(), expected.splitlines(), f"{target} (results block)",
                                "scripts/results_table.py", lineterm="")
    print("\n".join(diff), file=sys.stderr)
    print(f"{target}: the results block differs from the reports; run "
          f"`python scripts/results_table.py --write {target}`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
