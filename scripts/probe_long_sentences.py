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

    def top(self, query: torch.Tensor, sentences: list[str], k: int) -> list[str]:
        similarity = self.embed(sentences) @ query
        keep = sorted(torch.topk(similarity, min(k, len(sentences))).indices.tolist())
        return [sentences[i] for i in keep]


def retrieval_hits(rows: list[dict], k: int, ranker: SentenceRanker) -> tuple[float, float]:
    """(documents, rows): the share whose ``k`` retrieved sentences include one holding the answer."""
    documents, whole_rows = [], []
    for row in rows:
        query = ranker.embed([row["query"]])[0]
        hits = []
        for document in row["documents"]:
            sentences = _SENTENCE_END.split(" ".join(document["text"].split()))
            answer = document.get("answer") or ""
            if answer and any(answer in s for s in sentences):
                hits.append(any(answer in s for s in ranker.top(query, sentences, k)))
        documents.extend(hits)
        if hits:
            whole_rows.append(all(hits))
    return sum(documents) / max(len(documents), 1), sum(whole_rows) / max(len(whole_rows), 1)


def cut(row: dict, mode: str, k: int, ranker: SentenceRanker) -> dict:
    documents, query = [], None
    for document in row["documents"]:
        sentences = _SENTENCE_END.split(" ".join(document["text"].split()))
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
    for k in args.k:
        documents, whole_rows = retrieval_hits(rows, k, ranker)
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
