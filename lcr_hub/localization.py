"""Where a conflict is: pair probabilities, the most conflicting pair, per-document scores.

The detector (``pooling="documents"``) scores every pair of documents and takes the largest
pair logit as the row's conflict logit (:class:`~lcr_hub.LCRDetectorOutput.pair_logits`).
This module turns one row's pair logits into what a RAG application needs to cite, drop or
flag a source:

- **pair probabilities** ``sigmoid(pair_logit / T)`` with ``T`` the detector's own
  ``calibration_temperature``: the same calibration as the row's conflict probability, so
  the most conflicting pair's probability *is* the row's conflict probability;
- the **conflicting pair**: the pair with the largest logit, named by the documents'
  ``doc_id`` when they carry one, else by their 0-based position;
- a **per-document score**, "disagrees with the others": ``sigmoid(mean_j logit_ij / T)``
  over the document's pairs. A document on the minority side conflicts with every majority
  document, a majority document only with the minority ones, so with three or more
  documents the top-scoring document is the minority side's (``disagreeing_document``);
  with two documents both score alike and no side is named.

Example:
    >>> loc = localize([2.0, -3.0, 1.0], ["a", "b", "c"])  # pairs (a,b) (a,c) (b,c)
    >>> loc.conflicting_pair, loc.disagreeing_document
    (('a', 'b'), 'b')
    >>> [round(float(p), 3) for p in loc.pair_probabilities]
    [0.881, 0.047, 0.731]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .constants import MIN_DOCUMENTS_FOR_MINORITY
from .errors import DataError

__all__ = ["Localization", "document_refs", "localize", "split_pair_logits"]

#: A document's name in the output: its ``doc_id`` (a string) or, without one, its position.
DocumentRef = str | int


def pairs_of(n_documents: int) -> list[tuple[int, int]]:
    """The document pairs ``(i, j)``, ``i < j``, in the detector's order (``torch.triu_indices``).

    Example:
        >>> pairs_of(3)
        [(0, 1), (0, 2), (1, 2)]
    """
    return [(i, j) for i in range(n_documents) for j in range(i + 1, n_documents)]


def documents_for_pairs(n_pairs: int) -> int:
    """The document count ``n`` with ``n (n - 1) / 2 == n_pairs`` (the width of a batch's ``pair_logits``).

    Raises:
        ValueError: ``n_pairs`` is not a triangular number.

    Example:
        >>> documents_for_pairs(10)
        5
    """
    n = int(round((1 + math.sqrt(1 + 8 * n_pairs)) / 2))
    if n * (n - 1) // 2 != n_pairs:
        raise ValueError(f"{n_pairs} pair logits do not make the pairs of a whole number of documents.")
    return n


def split_pair_logits(batch_pair_logits: np.ndarray, n_documents: Sequence[int]) -> list[np.ndarray]:
    """Each row's own pair logits, out of a batch's ``(batch, pairs)`` array.

    The batch's array holds the pairs of its largest document count; a row with fewer
    documents keeps the pairs of its own documents, in the detector's order; a pair with a
    document the detector did not see gets the masked value (float32's minimum).

    Args:
        batch_pair_logits: ``LCRDetectorOutput.pair_logits`` as a numpy array.
        n_documents: The document count of each row of the batch.

    Returns:
        One float64 array of ``n (n - 1) / 2`` logits per row.

    Example:
        >>> rows = split_pair_logits(np.array([[1.0, 2.0, 3.0], [4.0, -1e9, -1e9]]), [3, 2])
        >>> [r.tolist() for r in rows]
        [[1.0, 2.0, 3.0], [4.0]]
    """
    width = documents_for_pairs(batch_pair_logits.shape[1]) if batch_pair_logits.shape[1] else 1
    index = {pair: k for k, pair in enumerate(pairs_of(width))}
    unseen = float(np.finfo(np.float32).min)
    out = []
    for row, n in zip(batch_pair_logits, n_documents):
        # A pair with a document the detector never saw (a joint-sequence checkpoint's
        # truncation, reported as documents_cut) has no evidence: the masked value.
        out.append(np.asarray([row[index[p]] if p in index else unseen for p in pairs_of(n)], dtype=np.float64))
    return out


def document_refs(documents: Sequence[str | Mapping[str, Any]]) -> list[DocumentRef]:
    """How each document is named: its ``doc_id`` when it has one, else its position.

    Raises:
        DataError: Two documents of the row share a ``doc_id`` (the pair would be ambiguous).

    Example:
        >>> document_refs(["x", {"text": "y", "doc_id": "d7"}, {"text": "z"}])
        [0, 'd7', 2]
    """
    refs: list[DocumentRef] = []
    seen: dict[DocumentRef, int] = {}
    for index, document in enumerate(documents):
        raw = document.get("doc_id") if isinstance(document, Mapping) else None
        ref: DocumentRef = index if raw is None or raw == "" else str(raw)
        if ref in seen:
            raise DataError(
                f"doc_id {ref!r} is also the doc_id of documents[{seen[ref]}]; the conflicting pair would be "
                "ambiguous. Fix: give each document of a row its own doc_id.",
                field=f"documents[{index}].doc_id",
            )
        seen[ref] = index
        refs.append(ref)
    return refs


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500.0, 500.0)))


@dataclass(frozen=True)
class Localization:
    """Where one row's conflict is.

    Attributes:
        documents: The documents' names (``doc_id`` or position), in the row's order.
        pairs: The document pairs ``(i, j)`` as positions, in the detector's order.
        pair_probabilities: ``(pairs,)`` probability that the pair conflicts (the detector's
            calibration; its maximum is the row's conflict probability).
        document_scores: ``(documents,)`` "disagrees with the others" score in ``[0, 1]``.
    """

    documents: tuple[DocumentRef, ...]
    pairs: tuple[tuple[int, int], ...]
    pair_probabilities: np.ndarray
    document_scores: np.ndarray

    @property
    def conflicting_pair(self) -> tuple[DocumentRef, DocumentRef] | None:
        """The names of the most conflicting pair, or None with fewer than two documents."""
        if not self.pairs:
            return None
        i, j = self.pairs[int(np.argmax(self.pair_probabilities))]
        return self.documents[i], self.documents[j]

    @property
    def disagreeing_document(self) -> DocumentRef | None:
        """The top-scoring document (the minority side) with three or more documents, else None."""
        if len(self.documents) < MIN_DOCUMENTS_FOR_MINORITY:
            return None
        return self.documents[int(np.argmax(self.document_scores))]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``conflicting_pair``, ``conflicting_pair_probability``, ``disagreeing_document``,
        ``pairs`` (``[{"documents": [a, b], "probability": p}]``) and ``document_scores``
        (``[{"document": a, "score": s}]``)."""
        return {
            "conflicting_pair": list(self.conflicting_pair) if self.conflicting_pair else None,
            "conflicting_pair_probability": float(self.pair_probabilities.max()) if self.pairs else None,
            "disagreeing_document": self.disagreeing_document,
            "pairs": [
                {"documents": [self.documents[i], self.documents[j]], "probability": float(p)}
                for (i, j), p in zip(self.pairs, self.pair_probabilities)
            ],
            "document_scores": [
                {"document": ref, "score": float(s)} for ref, s in zip(self.documents, self.document_scores)
            ],
        }


def localize(pair_logits: Sequence[float], documents: Sequence[DocumentRef], temperature: float = 1.0) -> Localization:
    """Pair probabilities, conflicting pair and document scores of one row.

    Args:
        pair_logits: The row's ``n (n - 1) / 2`` pair logits, in the detector's order
            (:func:`split_pair_logits`).
        documents: The row's document names (:func:`document_refs`); ``n`` of them.
        temperature: The detector's ``calibration_temperature``.

    Returns:
        The :class:`Localization`; with one document, no pairs and a score of 0.

    Raises:
        ValueError: The number of logits does not match the documents.

    Example:
        >>> localize([0.0, 0.0, 0.0], [0, 1, 2]).document_scores.tolist()
        [0.5, 0.5, 0.5]
    """
    logits = np.asarray(pair_logits, dtype=np.float64)
    n = len(documents)
    pairs = pairs_of(n)
    if len(logits) != len(pairs):
        raise ValueError(f"{len(logits)} pair logits for {n} documents; expected {len(pairs)}.")
    scaled = logits / float(temperature)
    sums, counts = np.zeros(n), np.zeros(n)
    for (i, j), value in zip(pairs, scaled):
        sums[[i, j]] += value
        counts[[i, j]] += 1
    scores = np.where(counts > 0, _sigmoid(sums / np.maximum(counts, 1)), 0.0)
    return Localization(tuple(documents), tuple(pairs), _sigmoid(scaled), scores)
