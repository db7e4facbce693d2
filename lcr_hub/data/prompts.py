"""The prompt a causal LM reads: the LCR text format, wrapped in the model's chat template.

The body is :func:`~lcr_hub.data.format_example`'s text (the query, then each document,
joined by :func:`~lcr_hub.data.document_separator`), after a one-line instruction. With a
chat template the body is the user's message and the template adds the generation
prompt; without one, :data:`~lcr_hub.constants.ANSWER_CUE` ends the prompt. The document
spans are moved to where the body sits in the final prompt, so that
:func:`~lcr_hub.data.tokenize_examples` gives each token's document index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..constants import ANSWER_CUE, PROMPT_INSTRUCTION
from ..errors import DataError
from .formatting import FormattedExample, document_separator, format_example

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = ["format_prompt", "uses_chat_template"]


def uses_chat_template(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether prompts for this tokenizer go through its chat template (it has one)."""
    return bool(getattr(tokenizer, "chat_template", None))


def format_prompt(
    tokenizer: PreTrainedTokenizerBase, query: str, documents: Sequence[str | Mapping[str, Any]]
) -> FormattedExample:
    """Build the prompt of one LCR question for a causal LM.

    Args:
        tokenizer: The causal LM's tokenizer (its chat template is used when it has one).
        query: The question.
        documents: The retrieved documents (strings or mappings with ``text``; other keys,
            such as the ``answer`` annotation, never enter the prompt).

    Returns:
        The prompt text (special tokens of the chat template included, so tokenize it with
        ``add_special_tokens=not uses_chat_template(tokenizer)``) and each document's
        character span in it.

    Raises:
        DataError: The query or a document is malformed, or the chat template rewrote the
            message so that the documents cannot be located in the prompt.

    Example:
        >>> from lcr_hub.encoding import load_encoder
        >>> tokenizer = load_encoder().tokenizer
        >>> prompt = format_prompt(tokenizer, "When?", ["Built in 1923.", "Built in 1924."])
        >>> prompt.text[slice(*prompt.document_spans[0])]
        'Built in 1923.'
    """
    body = format_example(query, documents, document_separator(tokenizer))
    message = f"{PROMPT_INSTRUCTION}\n\n{body.text}"
    if uses_chat_template(tokenizer):
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": message}], tokenize=False, add_generation_prompt=True
        )
        start = text.find(body.text)
        if start < 0:
            raise DataError(
                f"the chat template of {type(tokenizer).__name__} changed the question and documents "
                "(e.g. trimmed them), so their position in the prompt is unknown. Fix: strip leading "
                "and trailing whitespace from the query and documents.",
                field="query",
            )
    else:
        text = message + ANSWER_CUE
        start = len(message) - len(body.text)
    spans = tuple((a + start, b + start) for a, b in body.document_spans)
    return FormattedExample(text=text, document_spans=spans)
