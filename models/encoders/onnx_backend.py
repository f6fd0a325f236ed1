"""ONNX Runtime backend for the transformer encoder, and its export from torch (`xenowatch models export-onnx`)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from models.encoders.base import EMBEDDED, BucketedEncoder, TransformerEncoder, mean_pool
from pipeline.core.errors import ModelError

ONNX_FILE = "model.onnx"
INFO_FILE = "export.json"
CACHE = Path.home() / ".cache" / "xenowatch" / "onnx"
# Parity texts: one word, a sentence, accents, and one past max_length (truncated, never a failure).
CHECK_TEXTS = ("hello", "Refugees opened a bakery on the high street last spring.",
               "Les demandeurs d'asile attendent une réponse depuis des mois à Marseille.",
               " ".join(["migration"] * 400))
TOLERANCE = 1e-4


def pooled_module(model: Any) -> Any:
    """The torch module that ONNX records: encoder, mean pooling and normalisation in one graph; it takes
    input_ids, attention_mask and (BERT-style models) token_type_ids."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
            return mean_pool(hidden, attention_mask)

    return Pooled().eval()


def export_onnx(model: str = EMBEDDED, out: Path | None = None, max_length: int = 256,
                overwrite: bool = True) -> dict[str, Any]:
    """Export an encoder to ONNX with dynamic batch and sequence axes, check it against torch, write the folder."""
    import torch

    if out is not None:
        _check_out(out)
    source = TransformerEncoder(model, max_length=max_length)
    out = out or cache_folder(model, source.version)
    inputs = tuple(n for n in ("input_ids", "attention_mask", "token_type_ids")
                   if n in source.tokenizer.model_input_names)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=_parent(out)))
    try:
        with _quiet():
            _trace(source, inputs, work / ONNX_FILE)
        source.tokenizer.save_pretrained(work)
        info = {"source": model, "name": source.name, "version": source.version, "dim": source.dim,
                "inputs": list(inputs), "max_length": max_length, "torch": torch.__version__}
        (work / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        info["max_abs_diff"] = parity(OnnxEncoder(work), source)
        (work / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        _install(work, out, overwrite)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {**info, "folder": str(out)}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporter's warnings and logs; its progress lines go to stderr, since
    `classify --jsonl -` keeps stdout for its output."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _trace(source: TransformerEncoder, inputs: tuple[str, ...], path: Path) -> None:
    """torch.onnx.export (dynamo) of encoder + pooling, with batch and sequence as dynamic axes."""
    import torch

    sample = source.tokenizer(["a first example", "a somewhat longer second example text"],
                              padding=True, return_tensors="pt")
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
    torch.onnx.export(pooled_module(source.model), tuple(sample[n] for n in inputs), str(path),
                      input_names=list(inputs), output_names=["sentence_embedding"],
                      dynamic_shapes={n: {0: batch, 1: seq} for n in inputs}, dynamo=True,
                      external_data=False, verbose=False)


def parity(onnx: BucketedEncoder, torch_encoder: BucketedEncoder, texts: tuple[str, ...] = CHECK_TEXTS) -> float:
    """Largest absolute difference between the two backends' embeddings; refuses more than TOLERANCE."""
    diff = float(np.max(np.abs(onnx.encode(list(texts)) - torch_encoder.encode(list(texts)))))
    if not diff <= TOLERANCE:
        raise ModelError(f"the ONNX export differs from torch by {diff:.2g} (tolerance {TOLERANCE}); "
                         "export again with the torch and onnxruntime versions in pyproject.toml")
    return round(diff, 9)


def _parent(out: Path) -> Path:
    """The folder that will hold `out` (created), so the finished export can be moved in atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.parent


def _install(work: Path, out: Path, overwrite: bool) -> None:
    """Move a finished export into place; without `overwrite`, an export already there (another
    process won the race to fill the cache, and may be reading it) is kept."""
    if out.exists():
        _check_out(out)
        if (out / ONNX_FILE).exists() and not overwrite:
            return
        shutil.rmtree(out)
    work.chmod(0o755)
    try:
        os.replace(work, out)
    except OSError as exc:
        if not (out / ONNX_FILE).exists():
            raise ModelError(f"cannot write the ONNX export to {out}: {exc}") from exc


def _check_out(out: Path) -> None:
    """Refuse to replace a folder that holds anything but an earlier export."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / INFO_FILE).exists())):
        raise ModelError(f"{out} exists and is not an ONNX export; give a new or empty folder with --out")


def cache_folder(model: str, version: str) -> Path:
    """The cache folder for an encoder's export, keyed by model, version and torch version."""
    import torch

    key = hashlib.sha1(f"{model}|{version}|{torch.__version__}".encode()).hexdigest()[:12]
    return CACHE / f"{model.removeprefix('embedded:').replace('/', '--').replace(':', '-')}-{key}"


class OnnxEncoder(BucketedEncoder):
    """The exported encoder run by ONNX Runtime: same tokenizer, pooling and batching as the torch one."""

    def __init__(self, folder: Path, device: str = "cpu", batch_size: int = 64, threads: int | None = None) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        info = read_export(folder)
        self.folder = folder
        self.source = str(info["source"])
        self.name, self.version, self.dim = str(info["name"]), str(info["version"]), int(info["dim"])
        self.max_length = int(info["max_length"])
        self.inputs = tuple(info["inputs"])
        self.batch_size = batch_size
        self.device = device
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        options = ort.SessionOptions()
        options.inter_op_num_threads = 1
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(folder / ONNX_FILE), options, providers=providers(device))

    def _forward(self, batch: list[str]) -> np.ndarray:
        """One padded ONNX Runtime run."""
        enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="np")
        feeds = {name: np.asarray(enc[name], dtype=np.int64) for name in self.inputs}
        return np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)


def providers(device: str) -> list[Any]:
    """ONNX Runtime execution providers for a device; CUDA only when this onnxruntime has it."""
    import onnxruntime as ort

    if not device.startswith("cuda"):
        return ["CPUExecutionProvider"]
    available = ort.get_available_providers()
    if "CUDAExecutionProvider" not in available:
        raise ModelError(f"device {device!r} was asked but this onnxruntime has no CUDAExecutionProvider "
                         f"(available: {', '.join(available)}); install onnxruntime-gpu or set device=cpu")
    device_id = int(device.partition(":")[2] or 0)
    return [("CUDAExecutionProvider", {"device_id": device_id}), "CPUExecutionProvider"]


def read_export(folder: Path) -> dict[str, Any]:
    """The export's description (export.json), or a clear error when the folder holds no export."""
    if not (folder / ONNX_FILE).exists() or not (folder / INFO_FILE).exists():
        raise ModelError(f"no ONNX export in {folder} ({ONNX_FILE} and {INFO_FILE}); "
                         f"run 'xenowatch models export-onnx --out {folder}' or leave onnx_dir unset")
    info: dict[str, Any] = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    return info


@lru_cache(maxsize=4)
def load_onnx_encoder(model: str, device: str = "cpu", batch_size: int = 64,
                      folder: Path | None = None) -> OnnxEncoder:
    """The ONNX encoder for a model: from `folder`, or from the cache (exported there on first use)."""
    if folder is None:
        folder = cached_export(model)
    encoder = OnnxEncoder(folder, device, batch_size)
    if encoder.source != model:
        raise ModelError(f"the ONNX export in {folder} is of {encoder.source!r}, but the head needs {model!r}; "
                         f"export it with 'xenowatch models export-onnx --encoder {model} --out DIR'")
    return encoder


def cached_export(model: str) -> Path:
    """The cache folder of a model's export, exporting it first when it is not there yet."""
    from transformers import AutoConfig

    from models.encoders.base import resolve_model_path

    config = AutoConfig.from_pretrained(resolve_model_path(model))
    folder = cache_folder(model, str(getattr(config, "_commit_hash", None) or "local"))
    if not (folder / ONNX_FILE).exists():
        export_onnx(model, folder, overwrite=False)
    return folder
