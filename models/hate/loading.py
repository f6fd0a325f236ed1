"""Which hate model to load: the fine-tuned 2.x (default) or the frozen-encoder head 1.2.0, by folder or version."""

from __future__ import annotations

from pathlib import Path

from models.hate.finetuned import FINETUNED_DIR, load_finetuned_model, read_meta
from models.hate.model import DEFAULT_DIR, HateModel, load_head
from pipeline.core.config import Settings
from pipeline.core.errors import ModelError

# `head` may name a shipped model by version instead of a folder.
SHIPPED = {"1.2.0": DEFAULT_DIR, "head-1.2.0": DEFAULT_DIR, "2": FINETUNED_DIR, "finetuned": FINETUNED_DIR}


def resolve_head(folder: Path | str | None) -> Path:
    """The model folder for a `head` setting: None is the default (fine-tuned), a shipped version, or a path."""
    if folder is None:
        return FINETUNED_DIR
    return SHIPPED.get(str(folder), Path(folder))


def is_finetuned(folder: Path) -> bool:
    """Whether a folder holds a fine-tuned model (meta.json says arch finetune) rather than a skops head."""
    return (folder / "meta.json").exists() and read_meta(folder).get("arch") == "finetune"


def load_hate_model(folder: Path | str | None = None, device: str = "cpu", batch_size: int = 64,
                    threshold: float | None = None, backend: str = "torch",
                    onnx_dir: Path | None = None, precision: str = "auto") -> HateModel:
    """The model in `folder` (default: the fine-tuned one); a skops head runs on the torch or onnx encoders."""
    from models.encoders.registry import load_encoder

    path = resolve_head(folder)
    if is_finetuned(path):
        if backend != "torch":
            raise ModelError(f"backend {backend!r} serves the 1.2.0 head only; set backend = \"torch\" for the "
                             f"fine-tuned model in {path}, or head = \"1.2.0\" to keep {backend}")
        return load_finetuned_model(path, device, batch_size, threshold, precision)
    head, meta = load_head(path)
    encoders = [load_encoder(name, device, batch_size, backend, onnx_dir) for name in meta["encoders"]]
    return HateModel(head, encoders, meta, threshold)


def hate_model_for(settings: Settings) -> HateModel:
    """The hate model the settings ask for (head, device, batch size, threshold, backend, precision)."""
    return load_hate_model(settings.head, settings.device, settings.batch_size, settings.hate_threshold,
                           settings.backend, settings.onnx_dir, settings.precision)
