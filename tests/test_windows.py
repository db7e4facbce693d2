"""The windowed input of encoder bases (lcr_hub.data.windows): coverage, the cap, regrouping."""

import pytest
import torch

from lcr_hub.constants import QUERY_TOKEN_INDEX
from lcr_hub.data import format_example, tokenize_examples
from lcr_hub.data.windows import Windowing, group_windows, tokenize_windows
from lcr_hub.errors import DataError

LONG = " ".join(f"Sentence {i} says the old mill by the river was rebuilt after the flood." for i in range(60))


@pytest.fixture(scope="module")
def tokenizer(encoder):
    return encoder.tokenizer


def test_windows_cover_every_token_of_a_long_document_once(tokenizer):
    example = format_example("When was the mill rebuilt?", ["A short one.", LONG], " [SEP] ")
    batch = tokenize_windows(tokenizer, [example], max_length=64, windowing=Windowing(overlap=16))
    alone = tokenizer(LONG, add_special_tokens=False)["input_ids"]
    assert len(alone) > 64 * 5  # the document needs many windows
    windows_of_long = (batch["document_mask"] == 1).any(-1)
    assert int(windows_of_long.sum()) > 5
    # Every token of the document is pooled exactly once, in document order.
    pooled = batch["input_ids"][batch["document_mask"] == 1].tolist()
    assert pooled == alone
    # The overlap is read again as context: the windows hold more document tokens than the document.
    seen = ((batch["token_type_ids"] == 1) & (batch["attention_mask"] == 1) & windows_of_long[:, None]).sum()
    assert int(seen) > len(alone)
    assert batch["windows_cut"].tolist() == [0] and batch["documents_cut"].tolist() == [0]


def test_every_document_gets_its_own_window_with_the_query(tokenizer):
    documents = [f"Document {k} says it opened in {1900 + k}." for k in range(8)]
    batch = tokenize_windows(tokenizer, [format_example("When did it open?", documents, " [SEP] ")], max_length=512)
    assert batch["input_ids"].shape[0] == 8
    for k in range(8):
        assert set(batch["document_mask"][k].unique().tolist()) == {QUERY_TOKEN_INDEX, -1, k}
        text = tokenizer.decode(batch["input_ids"][k], skip_special_tokens=True)
        assert text.startswith("when did it open?") and str(1900 + k) in text


def test_the_query_tokens_of_every_window_are_marked(tokenizer):
    example = format_example("When was the mill rebuilt?", ["A short one.", LONG], " [SEP] ")
    batch = tokenize_windows(tokenizer, [example], max_length=64, windowing=Windowing(overlap=16))
    query = tokenizer("When was the mill rebuilt?", add_special_tokens=False)["input_ids"]
    for window in range(batch["input_ids"].shape[0]):
        marked = batch["document_mask"][window] == QUERY_TOKEN_INDEX
        assert batch["input_ids"][window][marked].tolist() == query  # the query's tokens, no [CLS] or [SEP]
        # Overlap tokens an earlier window holds stay -1: they are document text, not the query.
        assert not (marked & (batch["token_type_ids"][window] == 1)).any()


def test_the_cap_is_counted_never_silent(tokenizer):
    examples = [format_example("Q?", ["one.", LONG, "last."], " [SEP] "), format_example("Q?", ["only."], " [SEP] ")]
    free = tokenize_windows(tokenizer, examples, max_length=64)
    capped = tokenize_windows(tokenizer, examples, max_length=64, windowing=Windowing(max_windows=2))
    n_first = int((free["window_example"] == 0).sum())
    assert capped["window_example"].tolist() == [0, 0, 1]
    assert capped["windows_cut"].tolist() == [n_first - 2, 0]
    assert capped["documents_cut"].tolist() == [1, 0]  # "last." lost every window; the long one kept one


def test_a_query_longer_than_half_a_window_is_refused(tokenizer):
    with pytest.raises(DataError, match="shorten the query"):
        tokenize_windows(tokenizer, [format_example(LONG, ["doc."], " [SEP] ")], max_length=128)


def test_windowing_checks_its_settings():
    with pytest.raises(DataError, match="max_windows"):
        Windowing(max_windows=0)
    with pytest.raises(DataError, match="overlap"):
        Windowing(overlap=-1)


PACKED = Windowing(overlap=16, pack=True)


def test_a_packed_row_that_fits_reads_exactly_as_the_joint_sequence(tokenizer):
    example = format_example("When did the mill open?", ["It opened in 1923.", "", "Opened: 1924, they say."], " [SEP] ")
    joint = tokenize_examples(tokenizer, [example], max_length=512)
    packed = tokenize_windows(tokenizer, [example], max_length=512, windowing=PACKED)
    assert torch.equal(packed["input_ids"], joint["input_ids"])
    marks = packed["document_mask"].clone()
    assert int((marks == QUERY_TOKEN_INDEX).sum()) == len(tokenizer("When did the mill open?", add_special_tokens=False)["input_ids"])
    marks[marks == QUERY_TOKEN_INDEX] = -1  # the joint input leaves the query unmarked
    assert torch.equal(marks, joint["document_mask"])
    assert not packed["token_type_ids"].any()


def test_packed_windows_keep_documents_whole_and_continue_in_further_windows(tokenizer):
    documents = [f"Document {k} says the old mill by the river opened in {1900 + k}, after a long wait." for k in range(12)]
    batch = tokenize_windows(tokenizer, [format_example("When did it open?", documents, " [SEP] ")], max_length=64,
                             windowing=PACKED)
    assert 1 < batch["input_ids"].shape[0] < 12  # several documents share a window
    assert int(batch["attention_mask"].sum(-1).max()) <= 64
    for k, text in enumerate(documents):
        alone = tokenizer(text, add_special_tokens=False)["input_ids"]
        holders = (batch["document_mask"] == k).any(-1)
        assert int(holders.sum()) == 1  # a document that fits a window is never split
        assert batch["input_ids"][batch["document_mask"] == k].tolist() == alone


def test_a_long_document_reads_alone_in_overlapping_packed_windows(tokenizer):
    example = format_example("When was the mill rebuilt?", ["A short one.", LONG, "Last one."], " [SEP] ")
    batch = tokenize_windows(tokenizer, [example], max_length=64, windowing=PACKED)
    alone = tokenizer(LONG, add_special_tokens=False)["input_ids"]
    assert batch["input_ids"][batch["document_mask"] == 1].tolist() == alone  # every token pooled once, in order
    real = batch["attention_mask"] == 1
    read = (batch["input_ids"] != tokenizer.sep_token_id) & (batch["input_ids"] != tokenizer.cls_token_id)
    read &= real & (batch["document_mask"] != QUERY_TOKEN_INDEX)
    assert int(read.sum()) > len(alone) + 6  # the overlap is read again as context
    first = batch["document_mask"][0]
    assert set(first.unique().tolist()) == {-1, QUERY_TOKEN_INDEX, 0}  # the short one is not packed with a chunk
    last = batch["document_mask"][-1]
    assert {1, 2} <= set(last.unique().tolist())  # the last chunk and the next document share a window
    capped = tokenize_windows(tokenizer, [example], max_length=64, windowing=Windowing(overlap=16, pack=True, max_windows=2))
    assert capped["windows_cut"].tolist() == [batch["input_ids"].shape[0] - 2]
    assert capped["documents_cut"].tolist() == [1]  # "Last one." lost its only window; the long one kept one


def test_group_windows_pads_rows_with_empty_windows():
    owner = torch.tensor([0, 1, 1, 1])
    values = torch.arange(8).view(4, 2)
    (grouped,) = group_windows(owner, 2, values, fill=(-1,))
    assert grouped.shape == (2, 3, 2)
    assert grouped[0].tolist() == [[0, 1], [-1, -1], [-1, -1]]
    assert grouped[1].tolist() == [[2, 3], [4, 5], [6, 7]]
