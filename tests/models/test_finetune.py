"""The fine-tuning trainer on a tiny BertModel: balanced batches, masked heads, safetensors that reload the same."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from models.hate.finetuned import load_finetuned
from models.hate.finetuned import logits_of as predict
from models.hate.network import IGNORE, WEIGHTS_FILE
from models.training.datasets import Example
from models.training.finetune import FinetuneConfig, finetune
from models.training.finetune_data import balanced_batches, perturb, targets
from pipeline.cli import app
from pipeline.core.errors import ModelError

HATE = ["{g} are vermin , throw them out", "kill all the {g} now", "{g} are parasites and scum"]
FINE = ["the {g} opened a bakery", "we met {g} at the library", "{g} won the chess cup"]
GROUPS = ["migrants", "refugees", "muslims", "neighbours"]


def rows() -> list[dict[str, object]]:
    """Hateful and fine texts about groups, as HatemojiBuild pairs (hateful original, fine perturbation)."""
    out: list[dict[str, object]] = []
    for i, (h, f) in enumerate(zip(HATE * 4, FINE * 4)):
        g, split = GROUPS[i % 4], ("train", "train", "val", "test")[i % 4]
        out += [{"text": h.format(g=g), "label": "hatespeech", "lang": "en", "split": split,
                 "source_id": f"hatemojibuild:{2 * i}",
                 "labels": {"type": "derogation", "target": [g[:3] if g != "migrants" else "immig"],
                            "matched_id": 2 * i + 1}},
                {"text": f.format(g=g), "label": "normal", "lang": "en", "split": split,
                 "source_id": f"hatemojibuild:{2 * i + 1}", "labels": {"type": "none", "target": ["none"],
                                                                       "matched_id": 2 * i}}]
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ../shared/data-shaped folder with one small set."""
    root = tmp_path_factory.mktemp("data")
    (root / "hatemojibuild").mkdir()
    (root / "hatemojibuild" / "hatemojibuild.normalized.jsonl").write_text(
        "\n".join(json.dumps(r) for r in rows()), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-layer BertModel (hidden 32) with a word-level tokenizer over the test texts, saved as a folder."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("base")
    words = sorted({w for t in HATE + FINE + GROUPS + ["query:"] for w in t.replace("{g}", "").split()})
    vocab = {w: i for i, w in enumerate(["<s>", "<pad>", "</s>", "<unk>", *words])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    fast = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>")
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=4, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=80, pad_token_id=1)).save_pretrained(folder)
    return folder


def test_two_steps_write_safetensors_and_meta_that_reload_to_the_same_logits(data: Path, base: Path,
                                                                             tmp_path: Path) -> None:
    config = FinetuneConfig(data=data, out=tmp_path / "ft", datasets=("hatemojibuild",), base=base, steps=2,
                            batch_size=8, freeze_layers=2, written=False, seed=5)
    trained = finetune(config, progress=lambda _: None)
    assert sorted(p.name for p in config.out.iterdir()) == ["finetuned.safetensors", "meta.json"]
    meta = json.loads((config.out / "meta.json").read_text())
    assert (meta["steps"], meta["seed"], meta["config"]["freeze_layers"]) == (2, 5, 2)
    assert meta["train_seconds"] >= 0 and meta["versions"]["torch"] and 0 < meta["threshold"] < 1
    assert meta["datasets"]["hatemojibuild"]["licence"] == "CC BY 4.0"
    assert meta["evaluated"] == {"val": 6, "test": 6}

    from safetensors import safe_open

    with safe_open(str(config.out / WEIGHTS_FILE), "pt") as f:
        names = set(f.keys())
    assert not any("embeddings" in n or ".layer.0." in n or ".layer.1." in n for n in names), "frozen parts saved"
    assert {n for n in names if n.startswith("heads.")} == {f"heads.{h}.{p}" for h in ("hate", "target", "kind")
                                                             for p in ("weight", "bias")}
    assert any(".layer.3." in n for n in names)

    texts = [str(r["text"]) for r in rows()][:10]
    model, tokenizer, _ = load_finetuned(config.out, base=base)
    before = predict(trained.model, trained.tokenizer, texts, 64, "cpu")
    after = predict(model, tokenizer, texts, 64, "cpu")
    for head in ("hate", "target", "kind"):
        # Saved in half precision: the same logits to about three decimals.
        np.testing.assert_allclose(after[head], before[head], rtol=0, atol=5e-3)
    with safe_open(str(config.out / WEIGHTS_FILE), "pt") as f:
        assert {str(f.get_tensor(n).dtype) for n in names} == {"torch.float16"}


def test_weights_trained_with_other_frozen_layers_are_refused(data: Path, base: Path, tmp_path: Path) -> None:
    out = tmp_path / "ft"
    finetune(FinetuneConfig(data=data, out=out, datasets=("hatemojibuild",), base=base, steps=1, batch_size=4,
                            freeze_layers=3, written=False), progress=lambda _: None)
    meta = json.loads((out / "meta.json").read_text())
    meta["config"]["freeze_layers"] = 2
    (out / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="does not match the classifier.*--freeze-layers"):
        load_finetuned(out, base=base)


def test_batches_balance_datasets_and_labels() -> None:
    examples = [Example(f"a{i}", int(i < 10), "en", "big", "train") for i in range(1000)]
    examples += [Example(f"b{i}", 1, "en", "small", "train") for i in range(10)]
    batches = balanced_batches(examples, 16, 200, seed=1, alpha=0.0)
    picked = [examples[i] for b in batches for i in b]
    assert batches == balanced_batches(examples, 16, 200, seed=1, alpha=0.0), "seeded"
    share_small = sum(e.dataset == "small" for e in picked) / len(picked)
    share_hate_in_big = np.mean([e.label for e in picked if e.dataset == "big"])
    assert 0.45 < share_small < 0.55 and 0.45 < share_hate_in_big < 0.55


def test_missing_target_and_kind_are_masked() -> None:
    rows_ = [Example("x", 1, "en", "d", "train", target_group="religion", kind="threat"),
             Example("y", 1, "en", "d", "train"), Example("z", 0, "en", "d", "train", target_group="none")]
    labels = targets(rows_, ("hate", "target", "kind"), "cpu")
    assert labels["target"].tolist() == [1, IGNORE, 4] and labels["kind"].tolist() == [2, IGNORE, IGNORE]


def test_cli_train_arch_finetune(data: Path, base: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli"
    args = ["train", "--arch", "finetune", "--data", str(data), "--datasets", "hatemojibuild", "--base", str(base),
            "--steps", "2", "--batch-size", "4", "--freeze-layers", "2", "--device", "cpu"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "hatemojibuild/en" in result.output and (out / WEIGHTS_FILE).exists()
    assert json.loads((out / "meta.json").read_text())["version"] == "2.0.0-dev"
    result = runner.invoke(app, args)
    assert result.exit_code != 0 and "--arch finetune needs --out" in str(result.exception)
    result = runner.invoke(app, [*args, "--out", str(out), "--freeze-layers", "9"])
    assert result.exit_code != 0 and "--freeze-layers 9 is out of range" in str(result.exception)


def test_perturb_changes_one_word_the_way_obfuscated_posts_do() -> None:
    rng = np.random.default_rng(3)
    text = "refugees are vermin and should leave"
    variants = {perturb(text, rng) for _ in range(200)}
    assert len(variants - {text}) > 20
    assert any(len(v.split()) == 5 for v in variants) and any(len(v.split()) == 7 for v in variants), \
        "two words joined, one word split"
    assert any(any(ch.isdigit() or ch == "$" for ch in v) for v in variants), "leet"
    for v in variants:
        changed = [a for a, b in zip(text.split(), v.split()) if a != b]
        assert abs(len(v) - len(text)) <= 1 or len(changed) <= 2
    assert perturb("a b c", rng) == "a b c", "no word long enough: unchanged"


def test_leave_one_dataset_out_scores_the_left_out_test_split(data: Path, base: Path, tmp_path: Path) -> None:
    french = tmp_path / "data"
    import shutil

    shutil.copytree(data, french)
    (french / "ftr_french_racism").mkdir()
    ftr = [{**r, "lang": "fr", "source_id": f"ftr:{i}", "split": "all", "labels": {}} for i, r in enumerate(rows())]
    (french / "ftr_french_racism" / "ftr_french_racism.normalized.jsonl").write_text(
        "\n".join(json.dumps(r) for r in ftr), encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "--arch", "finetune", "--data", str(french), "--datasets",
                                      "hatemojibuild,ftr_french_racism", "--base", str(base), "--steps", "2",
                                      "--batch-size", "4", "--freeze-layers", "2", "--out", str(tmp_path / "lodo"),
                                      "--leave-out", "hatemojibuild,lang:fr"])
    assert result.exit_code == 0, result.output
    table = json.loads((tmp_path / "lodo" / "lodo.json").read_text())
    assert sorted(table["rows"]) == ["hatemojibuild -> hatemojibuild/en", "lang:fr -> ftr_french_racism/fr"]
    row = table["rows"]["hatemojibuild -> hatemojibuild/en"]
    assert row["n"] == 6 and 0 <= row["macro_f1"] <= 1 and row["threshold"] > 0
    assert not (tmp_path / "lodo" / WEIGHTS_FILE).exists(), "leave-out runs save no weights"
    assert sorted(table["reference"]) == sorted(table["rows"]), "a run on everything, scored on the same rows"
    bad = CliRunner().invoke(app, ["train", "--arch", "finetune", "--data", str(french), "--datasets",
                                   "hatemojibuild", "--base", str(base), "--out", str(tmp_path / "x"),
                                   "--leave-out", "mlma"])
    assert bad.exit_code != 0 and "--leave-out mlma: not among --datasets" in str(bad.exception)
