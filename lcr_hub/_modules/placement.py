"""Where the parts of a (possibly Accelerate-dispatched) causal LM run, and its decoder blocks."""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ConfigError


def execution_device(module: nn.Module) -> torch.device:
    """The device a module computes on.

    With ``device_map`` (Accelerate) an offloaded module's weights sit on the meta device and
    its ``_hf_hook`` names the device they are brought to; otherwise it is the device of its
    first parameter or buffer (CPU for a module without any).
    """
    hook = getattr(module, "_hf_hook", None)
    hooks = getattr(hook, "hooks", (hook,))  # Accelerate's SequentialHook holds several
    device = next((h.execution_device for h in hooks if getattr(h, "execution_device", None) is not None), None)
    if device is not None:
        return torch.device(device) if not isinstance(device, int) else torch.device("cuda", device)
    for tensor in (*module.parameters(), *module.buffers()):
        if tensor.device.type != "meta":
            return tensor.device
    return torch.device("cpu")


def floating_dtype(module: nn.Module) -> torch.dtype:
    """The dtype of a module's first floating-point parameter (kept even when offloaded to meta)."""
    for parameter in module.parameters():
        if parameter.is_floating_point():
            return parameter.dtype
    return torch.get_default_dtype()


def decoder_blocks(model: nn.Module) -> nn.ModuleList:
    """The decoder blocks of a causal LM, in order (``model.model.layers`` for Llama,
    ``model.transformer.h`` for GPT-2...).

    They are found as the one ``nn.ModuleList`` whose length is the config's
    ``num_hidden_layers``, so any Hugging Face causal LM works without a per-family table.

    Raises:
        ConfigError: No such list, or more than one.
    """
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    n_layers = getattr(config, "num_hidden_layers", None)
    found = [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, nn.ModuleList) and n_layers is not None and len(module) == n_layers
    ]
    if len(found) != 1:
        names = [name for name, _ in found]
        raise ConfigError(
            f"Cannot tell the decoder blocks of {type(model).__name__}: expected one ModuleList of "
            f"num_hidden_layers={n_layers} modules, found {names or 'none'}. LCR hooks the block "
            "whose output is hidden_states[layer_index]; use a Hugging Face causal LM."
        )
    return found[0][1]
