"""`lcr-hub detect`: the detector and classifier on unlabeled rows, streamed to a JSONL file.

Rows need only ``query`` and ``documents`` (:mod:`lcr_hub.data.unlabeled`). The input is read,
scored and written in chunks of :data:`~lcr_hub.constants.DETECT_CHUNK_ROWS` rows, and the C
heap's free pages are given back after every batch (:mod:`lcr_hub._modules.memory`), so memory
stays flat whatever the input's size; the output keeps the input order. Each output row
holds the input's fields except ``documents`` and, under ``"lcr"``, the predictions: conflict
probability, detected, level and level probabilities, route, the conflicting pair, every
pair's probability and each document's score (:mod:`lcr_hub.localization`).

**Crash safety.** Rows go to ``OUTPUT.partial``; after each chunk the file is flushed to disk
and ``OUTPUT.partial.state.json`` records how many rows and bytes it holds. A run that finds
a state for the same input and settings resumes after those rows (the bytes past them are
cut); one for other input or settings is refused. When every row is written the partial
file is renamed to ``OUTPUT`` (atomically) and the state removed.

**Several processes.** Under ``torchrun`` / ``accelerate launch`` every process reads the
input, the length-sorted batches of each chunk are fixed first and dealt to the processes,
and the main process gathers and writes the rows in input order: the output is the
one-process output (at equal thread counts, as for ``evaluate``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
from tqdm.auto import tqdm

from ._modules.atomic import _fsync, atomic_write
from ._modules.memory import release_free_heap
from .checkpoint import default_checkpoint
from .constants import (
    CONFIG_NAME,
    CONFLICT_LEVELS,
    DETECT_CHUNK_ROWS,
    DETECT_OUTPUT_KEY,
    DETECT_PARTIAL_SUFFIX,
    DETECT_SKIPPED_SUFFIX,
    DETECT_STATE_SUFFIX,
    ROUTE_PLAIN,
    ROUTE_REFINE,
    ROUTE_SELF_CONSISTENCY,
    WEIGHTS_NAME,
)
from .data.unlabeled import UnlabeledRecord, iter_unlabeled
from .errors import ConfigError
from .pipeline import LCRPipeline, LCRPredictions

__all__ = ["detect", "detect_rows"]

_STATE_VERSION = 1


def _route(detected: bool, level_probabilities: np.ndarray | None, pipeline: LCRPipeline) -> str:
    """What the LCR system would do with the row: plain answer, refinement or self-consistency."""
    if not detected:
        return ROUTE_PLAIN
    if pipeline.classifier is None or level_probabilities is None:
        return ROUTE_REFINE
    config = pipeline.classifier.config
    top = int(level_probabilities.argmax())
    refine = CONFLICT_LEVELS[top].label in config.refine_levels and level_probabilities[top] >= config.refine_min_confidence
    return ROUTE_REFINE if refine else ROUTE_SELF_CONSISTENCY


def _output_rows(pipeline: LCRPipeline, rows: Sequence[Mapping], predicted: LCRPredictions) -> list[dict]:
    """The output rows of scored rows: their fields but ``documents``, and the predictions under ``lcr``."""
    out = []
    for k, row in enumerate(rows):
        levels = None if predicted.level_probabilities is None else predicted.level_probabilities[k]
        lcr: dict[str, Any] = {
            "conflict_probability": float(predicted.conflict_probability[k]),
            "detected": bool(predicted.detected[k]),
            "level": None if levels is None else CONFLICT_LEVELS[int(levels.argmax())].label,
            "level_probabilities": None if levels is None else {
                level.label: float(p) for level, p in zip(CONFLICT_LEVELS, levels)},
            "route": _route(bool(predicted.detected[k]), levels, pipeline),
        }
        if predicted.localizations is not None:
            lcr.update(predicted.localizations[k].as_dict())
        out.append({**{key: v for key, v in row.items() if key != "documents"}, DETECT_OUTPUT_KEY: lcr})
    return out


def _score_chunk(pipeline: LCRPipeline, rows: list[dict], batch_size: int, accelerator: Any | None) -> list[dict] | None:
    """Output rows of one chunk, in order (None on the processes other than the main one).

    The chunk's length-sorted batches are fixed before they are dealt to the processes, so a
    row is padded with the same rows whatever the number of processes.
    """
    batches = pipeline.batches(rows, batch_size)
    rank, world = (accelerator.process_index, accelerator.num_processes) if accelerator is not None else (0, 1)
    mine: list[tuple[int, dict]] = []
    for indices in batches[rank::world]:
        batch = [rows[i] for i in indices]
        predicted = pipeline.predict(batch, batch_size=len(batch), progress=False)
        mine.extend(zip(indices, _output_rows(pipeline, batch, predicted)))
        del predicted
        release_free_heap()  # flat memory over any number of batches (see lcr_hub._modules.memory)
    if world > 1:
        from accelerate.utils import gather_object

        mine = gather_object(mine)
        if not accelerator.is_main_process:
            return None
    mine.sort(key=lambda pair: pair[0])
    if [i for i, _ in mine] != list(range(len(rows))):
        raise RuntimeError(f"{world} processes returned {len(mine)} rows for a chunk of {len(rows)}; report this.")
    return [row for _, row in mine]


def _chunks(records: Iterable[UnlabeledRecord], size: int) -> Iterator[list[UnlabeledRecord]]:
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def detect_rows(
    rows: datasets.Dataset | Iterable[Mapping[str, Any]],
    pipeline: LCRPipeline | None = None,
    *,
    batch_size: int = 32,
    chunk_rows: int = DETECT_CHUNK_ROWS,
) -> Iterator[dict]:
    """Score unlabeled rows lazily: a ``datasets.Dataset``, a list or any iterable of mappings.

    Args:
        rows: Mappings with ``query`` and ``documents`` (strings or ``{"text", "doc_id"}``).
        pipeline: Default: the embedded detector and classifier.
        batch_size: Rows per encoder pass.
        chunk_rows: Rows held in memory at a time.

    Yields:
        One output row per input row, in order (``detect``'s JSONL rows).

    Raises:
        DataError: A row is malformed (its 1-based number is its "line").

    Example:
        >>> out = next(detect_rows([{"id": 1, "query": "When?", "documents": ["In 1911.", "In 1914."]}]))
        >>> out["id"], sorted(out["lcr"])[:3]
        (1, ['conflict_probability', 'conflicting_pair', 'conflicting_pair_probability'])
    """
    pipeline = pipeline or LCRPipeline.from_pretrained()
    for chunk in _chunks(iter_unlabeled(rows), chunk_rows):
        for record in chunk:
            if record.error is not None:
                raise record.error
        yield from _score_chunk(pipeline, [r.row for r in chunk], batch_size, None) or []


def _fingerprint(data: Any, settings: dict) -> dict | None:
    """What a resumed run must share with the interrupted one (None: in-memory rows, not resumable)."""
    if isinstance(data, datasets.Dataset):
        source: Any = f"dataset:{data._fingerprint}"
    elif isinstance(data, Sequence) and data and all(isinstance(d, (str, os.PathLike)) for d in data):
        from .data import resolve_data_files

        files = resolve_data_files(list(data), settings.get("data_revision"))
        source = [[str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns] for f in files]
    else:
        return None
    return {"data": source, **settings}


def _model_stamp(folder: Path) -> str:
    """A cheap identity of a checkpoint folder: the digest of its config and of the weights' size and mtime."""
    digest = hashlib.sha256((folder / CONFIG_NAME).read_bytes())
    weights = (folder / WEIGHTS_NAME).stat()
    digest.update(f"{weights.st_size}:{weights.st_mtime_ns}".encode())
    return digest.hexdigest()


def _resume_point(output: Path, fingerprint: dict | None) -> tuple[int, int]:
    """``(rows, bytes)`` already written by an interrupted run of the same job, or ``(0, 0)``.

    Raises:
        ConfigError: A partial output exists for other input or settings (or for rows that
            cannot be resumed).
    """
    partial, state_path = Path(f"{output}{DETECT_PARTIAL_SUFFIX}"), Path(f"{output}{DETECT_STATE_SUFFIX}")
    if not partial.exists() and not state_path.exists():
        return 0, 0
    state = json.loads(state_path.read_text()) if state_path.exists() else None
    if state is None or not partial.exists() or fingerprint is None or state.get("fingerprint") != fingerprint:
        raise ConfigError(
            f"{partial} is the partial output of another detect run (other input, models or settings, or rows "
            f"passed in memory). Fix: re-run that job to resume it, or delete {partial} and {state_path}."
        )
    if partial.stat().st_size < state["bytes"]:
        raise ConfigError(f"{partial} is shorter than {state_path} records. Fix: delete both and start again.")
    return int(state["rows"]), int(state["bytes"])


def _check_records(records: Iterable[UnlabeledRecord], skip_invalid: bool, skipped_file: Path | None) -> tuple[int, int]:
    """First pass: count valid and invalid rows; raise the first error unless skipping (then list them)."""
    valid = invalid = 0
    lines: list[str] = []
    for record in records:
        if record.error is None:
            valid += 1
            continue
        if not skip_invalid:
            raise record.error
        invalid += 1
        if skipped_file is not None:
            lines.append(json.dumps({"source": record.source, "line": record.line, "field": record.error.field,
                                     "error": str(record.error)}, ensure_ascii=False) + "\n")
    if skipped_file is not None:
        if lines:
            atomic_write(skipped_file, "".join(lines))
        else:
            skipped_file.unlink(missing_ok=True)
    return valid, invalid


def detect(
    data: Sequence[str | os.PathLike] | datasets.Dataset | Iterable[Mapping[str, Any]],
    output: str | os.PathLike,
    *,
    data_revision: str | None = None,
    detector: str | os.PathLike | None = None,
    classifier: str | os.PathLike | None = None,
    batch_size: int = 32,
    chunk_rows: int = DETECT_CHUNK_ROWS,
    device: str = "cpu",
    skip_invalid: bool = False,
    report: str | os.PathLike | None = None,
    report_rows: int = 10,
    progress: bool = True,
) -> dict | None:
    """Score unlabeled rows and write one JSON line per row to ``output``.

    Args:
        data: ``.jsonl`` files or folders, ``hf://datasets/owner/name@sha`` repos, a
            ``datasets.Dataset`` or an iterable of row mappings.
        output: The JSONL file to write (see the module docstring for crash safety).
        data_revision: Revision of the Hub dataset repos that name none.
        detector, classifier: Checkpoint folders (default: the embedded ones).
        batch_size: Rows per encoder pass.
        chunk_rows: Rows read, scored and written at a time.
        device: ``cpu``, ``cuda``... (with several processes, each its own GPU).
        skip_invalid: Skip malformed rows (listed in ``OUTPUT.skipped.jsonl`` with file,
            line, field and error) instead of stopping at the first.
        report: A folder for HTML pages of the first ``report_rows`` rows and an ``index.html``.
        report_rows: How many rows get a page.
        progress: Show a progress bar.

    Returns:
        ``{"output", "rows", "skipped", "skipped_file", "resumed_rows", "seconds" (wall),
        "scoring_seconds", "rows_per_s" (rows scored by this run per scoring second), "report",
        "num_processes"}``; None on the other processes of a multi-process run.

    Raises:
        DataError: A row is malformed (file, line and field; unless ``skip_invalid``), or a
            file cannot be read.
        ConfigError: A partial output of another job is in the way.
    """
    from accelerate import Accelerator
    from accelerate.utils import broadcast_object_list

    start = time.perf_counter()
    output = Path(output)
    detector_path = Path(detector) if detector else default_checkpoint("detector")
    classifier_path = Path(classifier) if classifier else default_checkpoint("classifier")
    accelerator = Accelerator(cpu=torch.device(device).type == "cpu")
    if accelerator.num_processes > 1 and accelerator.device.type != "cpu":
        device = str(accelerator.device)
    main = accelerator.is_main_process
    if not isinstance(data, (Sequence, datasets.Dataset)) or isinstance(data, (str, os.PathLike)):
        data = [data] if isinstance(data, (str, os.PathLike)) else list(data)  # an iterator is read twice
    skipped_file = Path(f"{output}{DETECT_SKIPPED_SUFFIX}")
    valid, invalid = _check_records(iter_unlabeled(data, data_revision), skip_invalid, skipped_file if main else None)
    settings = {"data_revision": data_revision, "detector": _model_stamp(detector_path),
                "classifier": _model_stamp(classifier_path), "batch_size": batch_size, "chunk_rows": chunk_rows,
                "skip_invalid": skip_invalid, "version": _STATE_VERSION}
    fingerprint = _fingerprint(data, settings)
    resume = [_resume_point(output, fingerprint) if main else None]
    if accelerator.num_processes > 1:
        broadcast_object_list(resume)
    done_rows, done_bytes = resume[0]
    pipeline = LCRPipeline.from_pretrained(detector_path, classifier_path, device=device)
    scoring_start = time.perf_counter()

    partial, state_path = Path(f"{output}{DETECT_PARTIAL_SUFFIX}"), Path(f"{output}{DETECT_STATE_SUFFIX}")
    handle = None
    if main:
        output.parent.mkdir(parents=True, exist_ok=True)
        handle = open(partial, "r+b" if done_rows else "wb")
        handle.truncate(done_bytes)
        handle.seek(done_bytes)
    pages: list[tuple[str, str]] = []
    written, position = done_rows, 0
    valid_records = (r for r in iter_unlabeled(data, data_revision) if r.error is None)
    try:
        with tqdm(total=valid, initial=done_rows, desc="Detecting", unit="row", disable=not (progress and main)) as bar:
            for chunk in _chunks(valid_records, chunk_rows):
                first, position = position, position + len(chunk)
                if position <= done_rows:
                    continue  # written by the interrupted run
                rows = [r.row for r in chunk]
                scored = _score_chunk(pipeline, rows, batch_size, accelerator)
                if scored is None:
                    continue
                handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in scored).encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
                written += len(scored)
                atomic_write(state_path, json.dumps({"fingerprint": fingerprint, "rows": written,
                                                     "bytes": handle.tell()}) if fingerprint else "{}")
                if report is not None and first < report_rows:
                    pages += _write_pages(report, rows, scored, first, report_rows)
                bar.update(len(scored))
    finally:
        if handle is not None:
            handle.close()
    accelerator.wait_for_everyone()
    if not main:
        return None
    os.replace(partial, output)
    _fsync(output.parent)
    state_path.unlink(missing_ok=True)
    index = None
    if report is not None:
        from .report_html import write_report

        index = str(write_report(report, pages))
    scoring = time.perf_counter() - scoring_start
    return {"output": str(output), "rows": written, "skipped": invalid,
            "skipped_file": str(skipped_file) if invalid else None, "resumed_rows": done_rows,
            "seconds": time.perf_counter() - start, "scoring_seconds": scoring,
            "rows_per_s": (written - done_rows) / scoring if scoring > 0 else None,
            "report": index, "num_processes": accelerator.num_processes}


def _write_pages(folder: str | os.PathLike, rows: list[dict], scored: list[dict], first: int, limit: int) -> list[tuple[str, str]]:
    """The HTML pages of the rows of a chunk whose global index is below ``limit``."""
    from .report_html import render_row_page

    pages = []
    for k, (row, out) in enumerate(zip(rows, scored)):
        number = first + k + 1
        if number > limit:
            break
        title = f"row {number}" + (f" (id {row['id']})" if "id" in row else "")
        name = f"row_{number:06d}.html"
        atomic_write(Path(folder) / name, render_row_page(row, out, title))
        pages.append((name, title))
    return pages


def format_summary(summary: dict) -> str:
    """The lines ``lcr-hub detect`` prints after writing its output."""
    lines = [f"wrote {summary['rows']} rows to {summary['output']}"
             + (f" ({summary['resumed_rows']} of them by an interrupted run, resumed)" if summary["resumed_rows"] else "")]
    if summary["skipped"]:
        lines.append(f"skipped {summary['skipped']} malformed rows: listed in {summary['skipped_file']}")
    if summary["rows_per_s"]:
        lines.append(f"{summary['rows_per_s']:.1f} rows/s scoring ({summary['seconds']:.1f} s in all, "
                     f"{summary['num_processes']} process(es))")
    if summary["report"]:
        lines.append(f"report: {summary['report']}")
    return "\n".join(lines)

