"""A unigram tokenizer kept to the pieces of Latin-script text: the full vocabulary's ids, less than half its memory.

The e5 vocabulary has 250k SentencePiece pieces, and the tokenizers library holds them in a character trie of about
290 MiB. A piece can only be used on a text that contains all of its characters, so on a text made of Latin script,
punctuation, symbols and emoji the 114k pieces written in those characters give exactly the same segmentation as
the whole vocabulary (the same lattice, the same scores, the same ties). Their ids are mapped back to the full
vocabulary's. A batch with any other character (Arabic, Cyrillic, CJK...) goes to the full tokenizer, loaded on
first need.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.errors import ModelError

TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "tokenizer_config.json"
# Basic Latin to combining marks, Latin Extended Additional, punctuation and symbols (with the metaspace ▁),
# variation selectors, emoji and pictographs.
COVERED = "\u0000-\u036f\u1e00-\u1eff\u2000-\u2bff\ufe00-\ufe0f\U0001f000-\U0001faff"
_OTHER = re.compile(f"[^{COVERED}]")


def covered(piece: str) -> bool:
    """Whether every character of a piece (or a normalised text) is one the compact vocabulary keeps."""
    return _OTHER.search(piece) is None


def prune(spec: dict[str, Any]) -> tuple[dict[str, Any], np.ndarray]:
    """A unigram tokenizer.json keeping the covered pieces, the special tokens and the lowest-scoring piece (unknown
    characters are scored from it); with each kept piece's id in the full vocabulary."""
    vocab = spec["model"]["vocab"]
    special = {int(a["id"]) for a in spec.get("added_tokens", [])} | {int(spec["model"]["unk_id"])}
    lowest = min(range(len(vocab)), key=lambda i: vocab[i][1])
    kept = [i for i, (piece, _) in enumerate(vocab) if i in special or i == lowest or covered(piece)]
    new = {old: n for n, old in enumerate(kept)}
    out = dict(spec, model=dict(spec["model"], vocab=[vocab[i] for i in kept], unk_id=new[spec["model"]["unk_id"]]))
    out["added_tokens"] = [dict(a, id=new[int(a["id"])]) for a in spec.get("added_tokens", [])]
    if (post := spec.get("post_processor")) and post.get("type") == "TemplateProcessing":
        tokens = {name: dict(t, ids=[new[int(i)] for i in t["ids"]]) for name, t in post["special_tokens"].items()}
        out["post_processor"] = dict(post, special_tokens=tokens)
    return out, np.asarray(kept, dtype=np.int64)


class CompactTokenizer:
    """Called like a transformers tokenizer (`padding`, `truncation`, `max_length`, `return_tensors="pt"`...):
    the compact vocabulary when the whole batch is covered, the full tokenizer otherwise; ids are the full ones."""

    def __init__(self, folder: Path, spec: dict[str, Any]) -> None:
        from transformers import PreTrainedTokenizerFast

        pruned, self._ids = prune(spec)
        # From a file: given as an object, the tokenizer would be deep-copied (a second 110 MiB at load).
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / TOKENIZER_FILE
            path.write_text(json.dumps(pruned), encoding="utf-8")
            self._small = PreTrainedTokenizerFast(tokenizer_file=str(path), **_config(folder))
        self._normalizer = self._small.backend_tokenizer.normalizer
        self.folder, self._full = folder, None

    def covers(self, texts: Sequence[str]) -> bool:
        """Whether every text, once normalised, is written in characters the compact vocabulary keeps."""
        norm = self._normalizer
        return all(covered(norm.normalize_str(t) if norm is not None else t) for t in texts)

    def __call__(self, texts: str | Sequence[str], **kwargs: Any) -> Any:
        """The encoding of a text or a batch, with ids of the full vocabulary."""
        if not self.covers([texts] if isinstance(texts, str) else texts):
            return self.full(texts, **kwargs)
        enc = self._small(texts, **kwargs)
        enc["input_ids"] = self._mapped(enc["input_ids"])
        return enc

    def _mapped(self, ids: Any) -> Any:
        """Compact ids as full ones, in the form they came in (tensor, array, list of rows or one row)."""
        if isinstance(ids, np.ndarray):
            return self._ids[ids]
        if hasattr(ids, "numpy"):  # a torch tensor: mapped on the CPU, put back where it was
            import torch

            return torch.from_numpy(self._ids[ids.cpu().numpy()]).to(ids.device)
        if ids and isinstance(ids[0], int):
            return self._ids[np.asarray(ids, dtype=np.int64)].tolist()
        return [self._ids[np.asarray(row, dtype=np.int64)].tolist() for row in ids]

    @property
    def full(self) -> Any:
        """transformers' tokenizer over the whole vocabulary (loaded the first time a text needs it)."""
        if self._full is None:
            from transformers import AutoTokenizer

            self._full = AutoTokenizer.from_pretrained(self.folder)
        return self._full


def _config(folder: Path) -> dict[str, Any]:
    """The special tokens and settings of tokenizer_config.json (those a fast tokenizer takes)."""
    path = folder / CONFIG_FILE
    config = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {k: v for k, v in config.items() if k.endswith("_token") or k in ("model_max_length", "model_input_names")}


def load_tokenizer(folder: Path) -> Any:
    """The tokenizer of a model folder: compact for a unigram vocabulary, transformers' own for any other."""
    from transformers import AutoTokenizer

    path = folder / TOKENIZER_FILE
    try:
        spec = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}; delete {folder} and it is converted again on next use") from exc
    if spec is None or spec.get("model", {}).get("type") != "Unigram":
        return AutoTokenizer.from_pretrained(folder)
    return CompactTokenizer(folder, spec)
