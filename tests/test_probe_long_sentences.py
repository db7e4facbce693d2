"""scripts/probe_long_sentences.py: how often the encoder's own sentence retrieval keeps the value's sentence."""

import pytest
from conftest import load_script


@pytest.fixture(scope="module")
def probe():
    return load_script("probe_long_sentences")


def test_retrieval_hits_counts_documents_whose_retrieved_sentences_hold_their_answer(probe, encoder):
    ranker = probe.SentenceRanker(encoder)
    row = {
        "query": "When did the Corriston Viaduct open to trains?",
        "documents": [
            {"text": "The valley is known for its sheep. The Corriston Viaduct opened to trains in 1881. "
                     "Its architect later moved to Leeds.", "answer": "1881"},
            {"text": "Wool was traded at the market. Farmers kept bees on the slopes. The viaduct is in Corriston, "
                     "where trains first crossed it in 1879.", "answer": "1879"},
            {"text": "A passage without any answer at all. It is about something else.", "answer": ""},
        ],
    }
    assert probe.retrieval_hits([row], [3], ranker) == {3: (1.0, 1.0)}  # three sentences each: every answer is kept
    # One sentence each: the one about the viaduct's opening (the third document states no answer
    # and is not counted).
    assert probe.retrieval_hits([row], [1], ranker) == {1: (1.0, 1.0)}
    kept = [d["text"] for d in probe.cut(row, "retrieved", 1, ranker)["documents"]]
    assert kept[:2] == ["The Corriston Viaduct opened to trains in 1881.",
                        "The viaduct is in Corriston, where trains first crossed it in 1879."]
    # A value in a sentence off the question is a miss at K = 1, and the row is not all hit.
    missing = {**row, "documents": [{"text": "The Corriston Viaduct opened to trains on a wet morning. "
                                             "Wool prices fell in 1881.", "answer": "1881"}] + row["documents"][1:]}
    assert probe.retrieval_hits([row, missing], [1], ranker) == {1: (0.75, 0.5)}
