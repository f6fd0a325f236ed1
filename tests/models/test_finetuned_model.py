"""The shipped fine-tuned hate model (2.x): loading, decisions, heads for target and severity, selection of 1.2.0."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.evaluation.suite import Case, macro_f1, score_cases
from models.hate.finetuned import FINETUNED_DIR, FinetunedHateModel, read_meta
from models.hate.loading import load_hate_model, resolve_head
from models.hate.model import DEFAULT_DIR, HateModel
from models.hate.network import WEIGHTS_FILE
from models.hate.precision import native_bf16, resolve_precision
from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError, ModelError


@pytest.fixture(scope="module")
def model() -> FinetunedHateModel:
    """The default hate model."""
    loaded = load_hate_model()
    assert isinstance(loaded, FinetunedHateModel)
    return loaded


def test_default_is_the_finetuned_model_and_ships_small() -> None:
    meta = read_meta(FINETUNED_DIR)
    assert meta["arch"] == "finetune" and meta["version"].startswith("2.")
    assert all(info["redistributable"] for info in meta["datasets"].values()), "shipped data must allow it"
    assert (FINETUNED_DIR / WEIGHTS_FILE).stat().st_size < 60 * 2**20
    assert resolve_head(None) == FINETUNED_DIR and resolve_head("1.2.0") == DEFAULT_DIR


def test_threats_and_dehumanisation_are_flagged_with_target_and_severity(model: FinetunedHateModel) -> None:
    docs = [("", "I'm going to stab an immigrant tomorrow, and his whole family after him."),
            ("", "Ces réfugiés sont des rats qui infestent nos quartiers, il faut les exterminer."),
            ("", "Los inmigrantes son una plaga que hay que echar del país a patadas."),
            ("", "Refugees opened a bakery on the high street and the queue goes round the block."),
            ("", "Le conseil municipal a voté le budget de la bibliothèque hier soir.")]
    results = model.predict(docs, ["en", "fr", "es", "en", "fr"])
    assert [r.hate for r in results] == [True, True, True, False, False]
    assert results[0].severity == "incitement" and results[0].target == "migrants"
    assert results[1].target == "refugees" and results[1].severity in ("dehumanising", "incitement")
    assert results[3].severity == "none" and results[0].model.startswith("xenowatch-hate@2.")


def test_a_hateful_sentence_inside_a_neutral_article_is_the_evidence(model: FinetunedHateModel) -> None:
    filler = ("The council met on Tuesday to discuss the bus route, the school budget and the repairs to the "
              "river bridge. Volunteers will run the library festival in May, and the market moves to Saturdays. ")
    hateful = "Those migrants are vermin and should be driven out of our town. "
    text = filler * 2 + hateful + filler
    [result] = model.predict([("Town news", text)], ["en"])
    assert result.hate and result.evidence[0].text.strip() == hateful.strip()
    assert text[result.evidence[0].start:result.evidence[0].end] == result.evidence[0].text


def test_head_1_2_0_stays_selectable_and_onnx_is_refused_for_the_finetuned_model() -> None:
    legacy = load_hate_model("1.2.0")
    assert type(legacy) is HateModel and legacy.tag == "xenowatch-hate@1.2.0"
    with pytest.raises(ModelError, match="backend 'onnx' serves the 1.2.0 head only"):
        load_hate_model(None, backend="onnx")


def test_weights_that_do_not_match_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "meta.json").write_text((FINETUNED_DIR / "meta.json").read_text())
    (folder / WEIGHTS_FILE).write_bytes(b"not safetensors")
    with pytest.raises(ModelError, match="cannot read fine-tuned weights"):
        load_hate_model(folder)


def test_suite_scores_are_the_evaluation_figures() -> None:
    def case(i: int, label: str, group: str) -> Case:
        return Case(f"c{i}", "en", "derogation", group, label, "t", "dev", "f")
    cases = [case(0, "hateful", "migrants"), case(1, "non-hateful", "migrants"), case(2, "non-hateful", "refugees"),
             case(3, "hateful", "religion")]
    result = score_cases(cases, [True, True, False, False])
    row = result["by_lang"]["en"]
    assert row["accuracy"] == 0.5 and row["migrant_accuracy"] == 0.667
    assert row["migrant_non_hateful_cleared"] == 0.5 and row["n_migrant"] == 3
    assert macro_f1([True, False], [True, False]) == 1.0 and macro_f1([True, True], [False, False]) == 0.0


def test_a_hateful_clause_run_on_into_lowercase_filler_is_found(model: FinetunedHateModel) -> None:
    lead = "Questi clandestini sono parassiti, un'invasione di migranti da rimandare a casa."
    filler = " ".join(["consiglio bilancio scuola biblioteca panetteria festival museo ponte lavori"] * 6) + "."
    [result] = model.predict([("Consiglio comunale", f"{lead} {filler}")], ["it"])
    assert result.hate and result.evidence[0].text == lead


def test_models_card_rewrites_the_card_from_what_is_stored(tmp_path: Path) -> None:
    import shutil

    from typer.testing import CliRunner

    from pipeline.cli import app

    folder = tmp_path / "model"
    shutil.copytree(FINETUNED_DIR, folder)
    (folder / "MODEL_CARD.md").unlink()
    result = CliRunner().invoke(app, ["models", "card", "--model", str(folder), "--no-eval"])
    assert result.exit_code == 0, result.output
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    for heading in ("## Leave one dataset out", "## Functional suite v2", "## Bias audit", "## Sets never trained on",
                    "## Speed and size", "--arch finetune"):
        assert heading in card
    assert "| hatexplain -> hatexplain/en |" in card and "| test | en |" in card
    bad = CliRunner().invoke(app, ["models", "card", "--model", str(tmp_path)])
    assert bad.exit_code != 0 and "no meta.json there" in str(bad.exception) + bad.output


def test_restricted_data_can_never_be_written_over_a_shipped_model(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    for out in (FINETUNED_DIR, DEFAULT_DIR, FINETUNED_DIR.parent / "other"):
        result = CliRunner().invoke(app, ["train", "--arch", "finetune", "--data", str(tmp_path), "--datasets",
                                          "ethos", "--allow-restricted", "--out", str(out)])
        assert result.exit_code != 0 and "must not replace a shipped model" in str(result.exception)
    refused = CliRunner().invoke(app, ["train", "--arch", "finetune", "--data", str(tmp_path), "--datasets", "ethos",
                                       "--out", str(tmp_path / "x")])
    assert "licence does not allow shipping" in str(refused.exception)
    assert not (FINETUNED_DIR.parent / "other").exists()


def test_bfloat16_keeps_the_decisions_of_float32(model: FinetunedHateModel) -> None:
    docs = [("", "I'm going to stab an immigrant tomorrow."), ("", "Refugees are welcome in our village."),
            ("Grenzkontrollen", "Diese Flüchtlinge sind Ungeziefer und gehören alle abgeschoben."),
            ("", "Los solicitantes de asilo esperan meses un permiso de trabajo."),
            ("", "Ces migrants sont des parasites qui vivent de nos impôts.")]
    langs = ["en", "en", "de", "es", "fr"]
    exact = load_hate_model(precision="fp32").predict(docs, langs)
    fast = load_hate_model(precision="bf16").predict(docs, langs)
    assert [r.hate for r in fast] == [r.hate for r in exact] == [True, False, True, False, True]
    assert max(abs(a.score - b.score) for a, b in zip(exact, fast)) < 0.05
    assert model.net.precision == resolve_precision("auto", "cpu")


def test_precision_is_checked() -> None:
    assert resolve_precision("fp32", "cpu") == "fp32" and resolve_precision("bf16", "cpu") == "bf16"
    assert resolve_precision("auto", "cpu") == ("bf16" if native_bf16("cpu") else "fp32")
    with pytest.raises(ModelError, match="precision 'fp16' is invalid"):
        resolve_precision("fp16", "cpu")
    with pytest.raises(ConfigError, match="precision 'half' is invalid"):
        Settings(precision="half")
