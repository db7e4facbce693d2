"""Small randomly initialised causal LMs and tokenizers, built offline.

For tests, the offline demo and the overhead benchmark: a byte-level BPE tokenizer trained
on the bundled sample rows (so it never needs the Hub) and a random Llama or GPT-2 of any
size. Nothing here is a trained language model: its answers are noise, and only the
mechanics of the LCR system can be checked with it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

import torch
from transformers import (
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerFast,
)

from ..constants import ANSWER_CUE, PROMPT_INSTRUCTION
from ..errors import ConfigError

FAMILIES = ("llama", "gpt2")

#: A minimal chat template (role tags, one message per turn) for the "llama" tokenizer.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}{{ eos_token }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def sample_texts() -> list[str]:
    """Queries, documents and answers of the bundled sample rows, plus the prompt's fixed text."""
    from ..data import SAMPLE_DATA_PATH

    texts = [PROMPT_INSTRUCTION, ANSWER_CUE]
    for line in Path(SAMPLE_DATA_PATH).read_text().splitlines():
        row = json.loads(line)
        texts += [row["query"], row["gold_answer"], *(d["text"] for d in row["documents"])]
    return texts


def tiny_tokenizer(texts: Iterable[str] | None = None, vocab_size: int = 512, chat_template: bool = False) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer (``<pad>``, ``<s>``, ``</s>``) on a few texts.

    Args:
        texts: Training texts (default :func:`sample_texts`).
        vocab_size: Vocabulary size, special tokens and the 256 byte symbols included.
        chat_template: Give it :data:`CHAT_TEMPLATE` (and its role tokens).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    special = ["<pad>", "<s>", "</s>", "<|user|>", "<|assistant|>"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts if texts is not None else sample_texts()), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
        additional_special_tokens=special[3:],
    )
    if chat_template:
        fast.chat_template = CHAT_TEMPLATE
    return fast


def random_causal_lm(
    family: str,
    *,
    vocab_size: int,
    hidden_size: int = 64,
    intermediate_size: int = 128,
    num_layers: int = 4,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    max_positions: int = 1024,
    initializer_range: float = 0.02,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> PreTrainedModel:
    """A randomly initialised Llama (grouped-query attention) or GPT-2 (``family``).

    ``initializer_range`` is the std of the weights; at the 0.02 of real checkpoints a tiny
    random model's hidden states are ~100 times smaller than a trained LLM's.
    """
    torch.manual_seed(seed)
    if family == "llama":
        config = LlamaConfig(
            vocab_size=vocab_size, hidden_size=hidden_size, intermediate_size=intermediate_size,
            num_hidden_layers=num_layers, num_attention_heads=num_heads, num_key_value_heads=num_kv_heads,
            max_position_embeddings=max_positions, bos_token_id=1, eos_token_id=2, pad_token_id=0,
            initializer_range=initializer_range,
        )
        model_class = LlamaForCausalLM
    elif family == "gpt2":
        config = GPT2Config(
            vocab_size=vocab_size, n_embd=hidden_size, n_inner=intermediate_size, n_layer=num_layers,
            n_head=num_heads, n_positions=max_positions, bos_token_id=1, eos_token_id=2, pad_token_id=0,
            initializer_range=initializer_range,
        )
        model_class = GPT2LMHeadModel
    else:
        raise ConfigError(f"family must be one of {list(FAMILIES)}, got {family!r}.")
    config.dtype = dtype
    with torch.device("cpu"):
        model = model_class(config).to(dtype)
    return model.eval()


def save_tiny_base(output: str | os.PathLike, family: str, *, seed: int = 0, **sizes) -> Path:
    """Write a random causal LM and its tokenizer (chat template for ``llama``) to a folder.

    Args:
        output: The folder (created; files in it are replaced).
        family: ``"llama"`` or ``"gpt2"``.
        seed: Seed of the weights.
        **sizes: Passed to :func:`random_causal_lm` (``hidden_size``, ``num_layers``...).

    Returns:
        The folder, loadable with ``AutoModelForCausalLM``/``AutoTokenizer.from_pretrained``.
    """
    output = Path(output)
    tokenizer = tiny_tokenizer(chat_template=family == "llama")
    model = random_causal_lm(family, vocab_size=len(tokenizer), seed=seed, **sizes)
    model.save_pretrained(output)
    tokenizer.save_pretrained(output)
    return output
