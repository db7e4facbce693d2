#!/usr/bin/env python
"""Where a detector loses long passages: finding the value's sentence, or comparing it?

A diagnostic for issue 24, not part of the package. For every row of an LCR file and its
consistent twin (the detection set of ``lcr-hub evaluate``), it scores the detector on:

- ``whole``: the documents as given (what ``evaluate`` reads);
- ``answer-sentence``: each document cut to its first sentence that holds its annotated
  ``answer`` (an oracle: the annotation picks the sentence, so this is the best a perfect
  sentence finder could hand the detector; a document without one keeps its
  ``retrieved`` sentences);
- ``retrieved-K``: each document cut to the K sentences most similar to the query under the
  base encoder's own sentence embedding (last layer, mean over real tokens, cosine; the way
  all-MiniLM-L6-v2 is used for retrieval), in passage order. No annotation is read.

Twins are made from the whole rows first, then cut the same way, so a row and its twin differ
only in the value. Prints, first, how often retrieval finds the value's sentence (per K: the
share of documents stating their answer whose K retrieved sentences include one that holds it,
and the share of rows where every such document's do), then accuracy, AUROC and per-level
accuracy for each cut, e.g.:

    python scripts/probe_long_sentences.py --data data/long/validation.jsonl
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lcr_hub import LCRPipeline  # noqa: E402
from lcr_hub.data import load_lcr_data, make_consistent_twin  # noqa: E402
from lcr_hub.evaluation.metrics import detector_metrics  # noqa: E402

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(=])")


class SentenceRanker:
    """Ranks a document's sentences by cosine similarity with the query (the encoder's last layer, mean-pooled)."""

    def __init__(self, encoder) -> None:
        self.model, self.tokenizer = encoder.model, encoder.tokenizer

    @torch.inference_mode()
    def embed(self, texts: list[str]) -> torch.Tensor:
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
        states = self.model(**batch.to(self.model.device)).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
        return torch.nn.functional.normalize((states * mask).sum(1) / mask.sum(1), dim=-1)

    def ranking(self, query: torch.Tensor, sentences: list[str]) -> list[int]:
        """Indices of ``sentences``, most similar to ``query`` first."""
        return torch.argsort(self.embed(sentences) @ query, descending=True, stable=True).tolist()

    def top(self, query: torch.Tensor, sentences: list[str], k: int) -> list[str]:
        """The ``k`` sentences most similar to ``query``, in passage order."""
        return [sentences[i] for i in sorted(self.ranking(query, sentences)[:k])]


def sentences_of(text: str) -> list[str]:
    """A passage's sentences (whitespace normalised)."""
    return _SENTENCE_END.split(" ".join(text.split()))


def retrieval_hits(rows: list[dict], ks: list[int], ranker: SentenceRanker) -> dict[int, tuple[float, float]]:
    """Per K, (documents, rows): the share whose K retrieved sentences include one holding the answer.

    Each document's sentences are ranked once, for every K.
    """
    documents: dict[int, list[bool]] = {k: [] for k in ks}
    whole_rows: dict[int, list[bool]] = {k: [] for k in ks}
    for row in rows:
        query = ranker.embed([row["query"]])[0]
        ranks = []  # per stating document: the rank of its best sentence that holds the answer
        for document in row["documents"]:
            sentences = sentences_of(document["text"])
            answer = document.get("answer") or ""
            if answer and any(answer in s for s in sentences):
                ranks.append(next(r for r, i in enumerate(ranker.ranking(query, sentences)) if answer in sentences[i]))
        for k in ks:
            hits = [rank < k for rank in ranks]
            documents[k].extend(hits)
            if hits:
                whole_rows[k].append(all(hits))
    return {k: (sum(documents[k]) / max(len(documents[k]), 1), sum(whole_rows[k]) / max(len(whole_rows[k]), 1))
            for k in ks}


def cut(row: dict, mode: str, k: int, ranker: SentenceRanker) -> dict:
    documents, query = [], None
    for document in row["documents"]:
        sentences = sentences_of(document["text"])
        holding = [s for s in sentences if document["answer"] in s] if mode == "answer-sentence" else []
        if not holding and query is None:  # the query is embedded once per row
            query = ranker.embed([row["query"]])[0]
        kept = holding[:1] or ranker.top(query, sentences, k)
        documents.append({**document, "text": " ".join(kept)})
    return {**row, "documents": documents}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="An LCR JSONL file (e.g. data/long/validation.jsonl).")
    parser.add_argument("--detector", help="Detector folder (default: the embedded one).")
    parser.add_argument("--k", type=int, nargs="+", default=[1, 2], help="Sentences kept per document by retrieval.")
    args = parser.parse_args()

    pipeline = LCRPipeline.from_pretrained(args.detector, with_classifier=False)
    ranker = SentenceRanker(pipeline.encoder)
    rows = list(load_lcr_data([args.data]).dataset)
    examples = [(row, 1) for row in rows] + [(make_consistent_twin(row), 0) for row in rows]
    labels = [label for _, label in examples]
    levels = [row["conflict_level"] for row, _ in examples]
    variants = [("whole", 0), ("answer-sentence", 1)] + [(f"retrieved-{k}", k) for k in args.k]
    print(f"{args.data}: {len(rows)} rows and their twins; detector {args.detector or 'embedded'}")
    for k, (documents, whole_rows) in retrieval_hits(rows, args.k, ranker).items():
        print(f"retrieved-{k}: holds the answer in {documents:.3f} of stating documents, in all of them in "
              f"{whole_rows:.3f} of rows", flush=True)
    for name, k in variants:
        cut_rows = [row if name == "whole" else cut(row, name, k, ranker) for row, _ in examples]
        probabilities = pipeline.predict(cut_rows, progress=False).conflict_probability
        m = detector_metrics(labels, probabilities, levels, pipeline.detector.config.threshold)
        per_level = "  ".join(f"{level} {v['accuracy']:.3f}" for level, v in m["per_level"].items())
        print(f"{name:<16} accuracy {m['accuracy']:.3f}  AUROC {m['auroc']:.3f}  {per_level}", flush=True)


if __name__ == "__main__":
    main()
