"""One row of ``lcr-hub detect`` as a self-contained HTML page: its documents, their scores, the conflicting pair.

The page needs nothing but a browser: no script, no external style sheet or font, every
text escaped. Each document is a card with its "disagrees with the others" score as a bar;
the two documents of the most conflicting pair are outlined in red and named in the header,
the minority document (three or more documents) is labelled, and a table lists every pair's
probability, the highest first.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from ._modules.atomic import atomic_write
from .constants import DETECT_OUTPUT_KEY

__all__ = ["render_row_page", "write_report"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#222}
.doc{border:2px solid #ccc;border-radius:6px;padding:.6em 1em;margin:.8em 0}
.doc.pair{border-color:#c0392b;background:#fdf1ef}
.bar{height:.5em;background:#eee;border-radius:3px;margin:.3em 0}
.bar span{display:block;height:100%;background:#c0392b;border-radius:3px}
.tag{font-size:.8em;background:#c0392b;color:#fff;border-radius:3px;padding:0 .4em;margin-left:.5em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
"""


def _text(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _document_text(document: str | Mapping[str, Any]) -> str:
    return document if isinstance(document, str) else str(document.get("text", ""))


def render_row_page(row: Mapping[str, Any], output: Mapping[str, Any], title: str) -> str:
    """The HTML page of one row.

    Args:
        row: The input row (``query`` and ``documents``).
        output: The row's ``detect`` output (its ``lcr`` predictions).
        title: The page title (e.g. the row's id or number).

    Returns:
        A complete HTML document.

    Example:
        >>> out = {"lcr": {"conflict_probability": 0.9, "detected": True, "level": "L1_temporal", "route": "refine",
        ...        "conflicting_pair": [0, 1], "conflicting_pair_probability": 0.9, "disagreeing_document": None,
        ...        "pairs": [{"documents": [0, 1], "probability": 0.9}],
        ...        "document_scores": [{"document": 0, "score": 0.9}, {"document": 1, "score": 0.9}]}}
        >>> page = render_row_page({"query": "<b>When?</b>", "documents": ["1911", "1914"]}, out, "row 1")
        >>> "&lt;b&gt;When?&lt;/b&gt;" in page and page.count('class="doc pair"')
        2
    """
    lcr = output[DETECT_OUTPUT_KEY]
    pair = lcr.get("conflicting_pair") or []
    scores = {str(s["document"]): s["score"] for s in lcr.get("document_scores") or []}
    minority = lcr.get("disagreeing_document")
    cards = []
    for position, document in enumerate(row["documents"]):
        ref = document.get("doc_id", position) if isinstance(document, Mapping) else position
        score = scores.get(str(ref))
        in_pair = any(str(ref) == str(p) for p in pair)
        tags = ('<span class="tag">conflicting pair</span>' if in_pair else "") + (
            '<span class="tag">minority</span>' if minority is not None and str(minority) == str(ref) else "")
        bar = "" if score is None else f'<div class="bar"><span style="width:{100 * score:.1f}%"></span></div>'
        cards.append(
            f'<div class="doc{" pair" if in_pair else ""}"><b>{_text(ref)}</b>{tags} '
            f'score {"-" if score is None else f"{score:.3f}"}{bar}<p>{_text(_document_text(document))}</p></div>'
        )
    pairs = sorted(lcr.get("pairs") or [], key=lambda p: -p["probability"])
    table = "".join(
        f"<tr><td>{_text(p['documents'][0])}</td><td>{_text(p['documents'][1])}</td><td>{p['probability']:.3f}</td></tr>"
        for p in pairs
    )
    level = lcr.get("level") or "-"
    header = (
        f"<p>conflict probability <b>{lcr['conflict_probability']:.3f}</b> "
        f"({'detected' if lcr['detected'] else 'not detected'}), level {_text(level)}, route {_text(lcr['route'])}"
        + (f"; conflicting pair <b>{_text(pair[0])}</b> / <b>{_text(pair[1])}</b>" if pair else "") + "</p>"
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_text(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{_text(title)}</h1><h2>{_text(row['query'])}</h2>{header}"
        f"{''.join(cards)}<h3>Document pairs</h3><table><tr><th>document</th><th>document</th>"
        f"<th>conflict probability</th></tr>{table}</table></body></html>\n"
    )


def write_report(folder: str | os.PathLike, pages: Sequence[tuple[str, str]]) -> Path:
    """Write ``index.html`` linking the row pages already in ``folder``.

    Args:
        folder: The report folder.
        pages: ``(file name, title)`` of each row page, in input order.

    Returns:
        The index file.
    """
    links = "".join(f'<li><a href="{_text(name)}">{_text(title)}</a></li>' for name, title in pages)
    index = Path(folder) / "index.html"
    atomic_write(index, f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>LCR detect</title>'
                        f"<style>{_STYLE}</style></head><body><h1>LCR detect: {len(pages)} rows</h1><ul>{links}</ul>"
                        "</body></html>\n")
    return index
