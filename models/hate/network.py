"""The fine-tuned classifier: a BertModel (embeddings and the first N layers frozen), mean pooling, linear heads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.core.errors import ModelError

TARGET_GROUPS = ("migrants_refugees", "religion", "ethnicity_nationality", "other_group", "none")
KINDS = ("derogation", "dehumanisation", "threat", "animosity", "support_for_hateful_groups")

PREFIX = "query: "  # e5 is trained with this prefix for anything that is not a retrieval passage
WEIGHTS_FILE = "finetuned.safetensors"
HEADS = {"hate": ("hate",), "target": TARGET_GROUPS, "kind": KINDS}
IGNORE = -100  # a label the masked losses skip


def build_classifier(base: Path, heads: tuple[str, ...], freeze_layers: int) -> Any:
    """The base encoder from its folder, frozen below `freeze_layers`, with fresh heads."""
    import torch
    from transformers import AutoModel

    try:
        encoder = AutoModel.from_pretrained(base)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the base encoder in {base}: {exc}; give a transformers BertModel "
                         "folder (the e5 conversion is made by models.encoders.e5.e5_folder())") from exc

    class Classifier(torch.nn.Module):
        """Encoder + masked mean pooling + one linear layer per head."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            size = int(encoder.config.hidden_size)
            self.heads = torch.nn.ModuleDict({name: torch.nn.Linear(size, len(HEADS[name])) for name in heads})

        def forward(self, input_ids: Any, attention_mask: Any) -> dict[str, Any]:
            """Logits per head: hate (batch,), target and kind (batch, classes)."""
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state.float()
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out = {name: head(pooled) for name, head in self.heads.items()}
            out["hate"] = out["hate"].squeeze(-1)
            return out

    model = Classifier()
    freeze(model.encoder, freeze_layers)
    return model


def freeze(encoder: Any, layers: int) -> None:
    """Freeze the embeddings (word, position, type, their norm) and the first `layers` transformer layers."""
    total = len(encoder.encoder.layer)
    if not 0 <= layers <= total:
        raise ModelError(f"--freeze-layers {layers} is out of range; the encoder has {total} layers (0 to {total})")
    for p in encoder.embeddings.parameters():
        p.requires_grad_(False)
    for layer in encoder.encoder.layer[:layers]:
        for p in layer.parameters():
            p.requires_grad_(False)
    if getattr(encoder, "pooler", None) is not None:  # unused: we mean-pool
        for p in encoder.pooler.parameters():
            p.requires_grad_(False)


def trainable_state(model: Any) -> dict[str, Any]:
    """The weights training changes (unfrozen layers and heads), detached, contiguous, on the CPU."""
    return {name: p.detach().cpu().contiguous() for name, p in model.named_parameters() if p.requires_grad}


def save_trainable(model: Any, path: Path) -> int:
    """Write only the trainable weights as safetensors; returns the number of parameters written."""
    from safetensors.torch import save_file

    # Half precision halves the shipped file; loading casts back to float32 (no decision changed on the suites).
    state = {name: t.half() if t.is_floating_point() else t for name, t in trainable_state(model).items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata={"format": "pt"})
    return sum(t.numel() for t in state.values())


def load_trainable(model: Any, path: Path) -> None:
    """Put saved trainable weights into a freshly built classifier; refuse a file that does not match it."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = load_file(str(path))
    except (OSError, RuntimeError, SafetensorError) as exc:
        raise ModelError(f"cannot read fine-tuned weights {path}: {exc}; train again with "
                         "`xenowatch train --arch finetune`") from exc
    expected = set(trainable_state(model))
    if set(state) != expected:
        missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
        raise ModelError(f"{path} does not match the classifier (missing {missing[:3]}, unexpected "
                         f"{unexpected[:3]}); was it trained with other --freeze-layers or heads?")
    params = dict(model.named_parameters())
    for name, tensor in state.items():
        if params[name].shape != tensor.shape:
            raise ModelError(f"{path}: {name} has shape {tuple(tensor.shape)}, the classifier "
                             f"{tuple(params[name].shape)}; rebuild it on the base encoder it was trained on")
        params[name].data.copy_(tensor)


def encode(tokenizer: Any, texts: Sequence[str], max_length: int, device: str,
           pad_to: int | None = None) -> dict[str, Any]:
    """Prefixed, truncated, padded token ids and attention masks on the device; `pad_to`: lengths rounded up to
    a multiple of it (fewer distinct shapes for kernels compiled per shape, as bfloat16 ones are)."""
    enc = tokenizer([PREFIX + t for t in texts], padding=True, truncation=True, max_length=max_length,
                    return_tensors="pt", pad_to_multiple_of=pad_to)
    return {"input_ids": enc["input_ids"].to(device), "attention_mask": enc["attention_mask"].to(device)}
