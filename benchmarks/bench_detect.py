#!/usr/bin/env python
"""`lcr-hub detect` against `lcr-hub evaluate` on the same generated rows: throughput and peak memory.

For each size, writes that many generated LCR rows (``lcr_hub.data.generator``, seed 42), then
runs, each in a fresh process (so that its peak resident memory is its own, read with
``os.wait4``):

- ``detect`` on the rows (streamed in chunks; rows/s over its scoring time);
- ``evaluate`` on the same rows (``--bootstrap 0``; it scores each row and its consistent
  twin: examples/s over its scoring time).

Prints and writes (``--output``) per size: rows, throughput of each and their ratio (target
>= 0.85), peak RSS of each, and the growth of detect's peak RSS from the smallest to the
largest size (target: within 10%). The issue's sizes are 10,000 and 100,000 rows (hours on
2 CPU cores; minutes on a GPU with ``--device cuda``).

    python benchmarks/bench_detect.py --sizes 10000 100000 --output out/bench_detect.json
    python benchmarks/bench_detect.py --sizes 200 2000 --output out/bench_detect.json   # what fits 2 CPU cores
    python benchmarks/bench_detect.py --sizes 600 2400 --tile 600 --chunk-rows 256 --skip-evaluate-above 0
    python benchmarks/bench_detect.py --sizes 100000 --milestones 10000 --skip-evaluate-above 0   # one 100k run

With ``--milestones``, the detect child also records its peak RSS when its output first holds
that many rows (polled every half second from the crash-safety state file), so that one run
gives the peak at 10,000 and at 100,000 rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_DETECT = """
import json, resource, sys, threading, time
from pathlib import Path
from lcr_hub.constants import DETECT_STATE_SUFFIX
from lcr_hub.detect import detect
milestones = sorted(int(m) for m in sys.argv[6].split(",") if m)
state, peaks, done = Path(sys.argv[2] + DETECT_STATE_SUFFIX), {}, threading.Event()
def watch():  # this process's peak RSS when the output first holds each milestone's rows
    while not done.wait(0.5) and len(peaks) < len(milestones):
        try:
            rows = json.loads(state.read_text()).get("rows", 0)
        except (OSError, ValueError):
            continue
        for m in milestones:
            if rows >= m and m not in peaks:
                peaks[m] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"  peak RSS {peaks[m]:.1f} MiB when the output held {rows} rows "
                      f"({rows / (time.perf_counter() - started):.2f} rows/s since the start)", flush=True)
started = time.perf_counter()
threading.Thread(target=watch, daemon=True).start()
s = detect([sys.argv[1]], sys.argv[2], batch_size=int(sys.argv[3]), device=sys.argv[4], chunk_rows=int(sys.argv[5]),
           progress=False)
done.set()
print("RESULT " + json.dumps({"per_s": s["rows_per_s"], "scored": s["rows"], "seconds": s["scoring_seconds"],
                              "peak_rss_mib_at": {str(m): peaks.get(m) for m in milestones}}))
"""
_EVALUATE = """
import json, sys
from lcr_hub.evaluation.evaluate import evaluate
r = evaluate([sys.argv[1]], batch_size=int(sys.argv[3]), device=sys.argv[4], bootstrap=0, progress=False)
t = r["throughput"]
print("RESULT " + json.dumps({"per_s": t["examples_per_s"], "scored": t["examples"], "seconds": t["seconds"]}))
"""


def run_child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; return its RESULT line, wall time and peak RSS (MiB)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = []
    for line in child.stdout:  # progress lines are echoed as they come, so a stopped run keeps them
        lines.append(line)
        if not line.startswith("RESULT "):
            print(line, end="", flush=True)
    stdout = "".join(lines)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"child failed ({child.returncode}): {stdout[-2000:]}")
    result = json.loads(next(line for line in stdout.splitlines() if line.startswith("RESULT "))[7:])
    return {**result, "wall_s": time.perf_counter() - start, "peak_rss_mib": usage.ru_maxrss / 1024}


def write_rows(path: Path, n: int, tile: int | None = None) -> None:
    """``n`` generated rows (seed 42, the levels in equal shares); with ``tile``, the first
    ``tile`` of them repeated (so that every size has the same row lengths: the longest padded
    batch, not the row count, sets the encoder's peak memory)."""
    from lcr_hub.data.generator import generate_rows

    distinct = min(n, tile) if tile else n
    rows = generate_rows(-(-distinct // 4), seed=42)[:distinct]
    partial = path.with_name(path.name + ".writing")  # a killed run leaves no short file under the real name
    with open(partial, "w", encoding="utf-8") as handle:
        for i in range(n):
            row = rows[i % distinct]
            handle.write(json.dumps({**row, "id": f"{row['id']}_{i}"} if tile else row) + "\n")
    partial.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000], help="Row counts to time.")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--chunk-rows", type=int, default=1024, help="detect's --chunk-rows (default 1024).")
    parser.add_argument("--tile", type=int, metavar="N", help="Repeat the first N generated rows (same lengths at every size).")
    parser.add_argument("--skip-evaluate-above", type=int, default=None, metavar="N",
                        help="Run evaluate only for sizes <= N (it holds every row in memory and scores twice as much).")
    parser.add_argument("--milestones", nargs="*", type=int, default=[], metavar="ROWS",
                        help="Also record detect's peak RSS when its output first holds this many rows (one run "
                             "gives the peak at 10,000 and at 100,000 rows: --sizes 100000 --milestones 10000).")
    parser.add_argument("--workdir", default="out/bench_detect", help="Where the generated rows and outputs go.")
    parser.add_argument("--output", help="Write the results as JSON.")
    # (the JSON records the options, so that a figure can be traced to its command)
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from lcr_hub.constants import DETECT_PARTIAL_SUFFIX, DETECT_STATE_SUFFIX
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.sizes:
        data = workdir / f"rows_{n}{f'_tile{args.tile}' if args.tile else ''}.jsonl"
        if not data.exists():
            write_rows(data, n, args.tile)
        preds = workdir / f"preds_{n}.jsonl"
        for stale in (preds, Path(f"{preds}{DETECT_PARTIAL_SUFFIX}"), Path(f"{preds}{DETECT_STATE_SUFFIX}")):
            stale.unlink(missing_ok=True)  # an interrupted earlier run would be resumed, not timed
        entry = {"rows": n, "detect": run_child(_DETECT, str(data), str(preds),
                                                str(args.batch_size), args.device, str(args.chunk_rows),
                                                ",".join(str(m) for m in args.milestones if m < n))}
        if args.skip_evaluate_above is None or n <= args.skip_evaluate_above:
            entry["evaluate"] = run_child(_EVALUATE, str(data), "", str(args.batch_size), args.device)
            entry["ratio"] = entry["detect"]["per_s"] / entry["evaluate"]["per_s"]
        results.append(entry)
        d, e = entry["detect"], entry.get("evaluate")
        print(f"{n:>7} rows  detect {d['per_s']:7.2f} rows/s, peak {d['peak_rss_mib']:7.1f} MiB, wall {d['wall_s']:7.1f} s"
              + (f" | evaluate {e['per_s']:7.2f} examples/s ({e['scored']} examples), peak {e['peak_rss_mib']:7.1f} MiB"
                 f" | ratio {entry['ratio']:.3f} (target >= 0.85)" if e else ""), flush=True)
    for entry in results:
        for m, peak in entry["detect"]["peak_rss_mib_at"].items():
            if peak is None:
                print(f"peak RSS at {m} rows: not seen (the run passed it between two samples)")
                continue
            total = entry["detect"]["peak_rss_mib"]
            print(f"detect peak RSS {peak:.1f} MiB at {int(m)} rows -> {total:.1f} MiB at {entry['rows']} rows in the same run: "
                  f"{100 * (total / peak - 1):+.1f}% (target within 10%)")
    if len(results) > 1:
        small, large = results[0]["detect"]["peak_rss_mib"], results[-1]["detect"]["peak_rss_mib"]
        growth = large / small - 1
        print(f"detect peak RSS {small:.1f} -> {large:.1f} MiB from {results[0]['rows']} to {results[-1]['rows']} rows: "
              f"{100 * growth:+.1f}% (target within 10%)")
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps({"command": sys.argv, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
