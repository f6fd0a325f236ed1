"""The model card written next to every trained head."""

from __future__ import annotations

from typing import Any


def model_card(meta: dict[str, Any]) -> str:
    """Markdown model card from the head's metadata."""
    rows = "\n".join(
        f"| {key} | {m['n']} | {m['positives']} | {m['precision']} | {m['recall']} | {m['f1']} | {m['auc']} |"
        for key, m in meta["test_metrics"].items())
    data = "\n".join(f"- `{name}`: {info['licence']}" + ("" if info["redistributable"] else
                     " (**not redistributable**: do not ship a model trained on it)")
                     for name, info in meta["datasets"].items())
    data += "".join(f"\n- `extra:{e['file']}` (`--extra`, sha256 {e['sha256'][:12]}): {e['examples']} examples, "
                    f"splits {e['splits']}, languages {e['languages']}" for e in meta.get("extra", []))
    return f"""# Model card: {meta['name']} {meta['version']}

Binary classifier for hateful (mostly xenophobic) speech, applied per sentence; a document's
score is its worst sentence. Target and severity come from lexicons (`models/lexicons/hate_terms.yaml`,
levels defined in `models/SEVERITY.md`).

- Trained: {meta['trained']} (seed {meta['seed']}, {meta['examples']} examples, Python {meta['python']})
- Encoders (frozen): {', '.join(meta['encoders'])}
- Head: scikit-learn StandardScaler + LogisticRegression (class-balanced), saved with skops
- Decision thresholds: {_thresholds(meta)}
- Backends: torch, or ONNX Runtime (`XENOWATCH_BACKEND=onnx`; `xenowatch models export-onnx`), same outputs
- Reproduce: `xenowatch train --data ../shared/data` (add `--limit N` for a quick run)

## Training data and licences
{data}
- `identity_neutral` / `identity_news` / `identity_hateful`: templated statements written for this
  project (`models/lexicons/identity_*.yaml`, EN/FR/ES, the same group terms on both sides): neutral,
  positive and counter-speech statements and news-style reports of hard facts (exploitation, debt,
  crime statistics, asylum delays) as label 0, dehumanising, threatening and excluding ones as
  label 1. They teach xenophobic dehumanisation (rare in the general data) while keeping a group
  term alone from reading as hate.
- `identity_threats` / `identity_counter`: threats, derogatory labels and implicit dehumanisation
  (label 1), and the same kind of wording negated, condemned or reported as counter-speech (label 0),
  in EN/FR/ES, written for this project (head 1.2.0 on). The functional suite stays held out.
- `neutral_news`: everyday news sentences and posts written for this project in EN/FR/ES/DE/IT
  (sport, weather, crime and disaster reporting, ordinary uses of words like flood, wave or plague),
  label 0, so that news prose is not read as hostile.
- The written examples are weighted x{meta.get('template_weight', 2.0)} in training.

Only data whose licence allows redistributing a derived model is used for the shipped head.
HatEval 2019, HateCheck and Multilingual HateCheck are reserved for independent evaluation and never used.

## Test metrics (held-out splits, each language at its own threshold)
| dataset/lang | n | positives | precision | recall | F1 | ROC AUC |
|---|---|---|---|---|---|---|
{rows}

## Bias audit (identity terms)
Subgroup AUC ranks hateful against non-hateful texts that name the subgroup; BPSN AUC (background
positive, subgroup negative) falls when harmless mentions of the subgroup score above hateful texts
about others; BNSP AUC (background negative, subgroup positive) falls when hate against the subgroup
scores below harmless texts about others. `templates` is the audit set written for this project
(`models/evaluation/bias/identity_bias.yaml`: 8 neutral, positive or counter-speech and 8 hateful templates per
language, filled with every term of each subgroup; never used for training); the other rows are the
test splits, with subgroups found by the hate lexicon's target terms. A dash: fewer than 5 examples
of a class. `xenowatch eval --bias [--data DIR]` recomputes it.

{_bias(meta)}

## Limits
- HateXplain is general English hate speech (Twitter/Gab), MLMA is keyword-collected and almost all
  hostile: neither matches news prose. French comes from MLMA only; Spanish has no training data here
  and relies on the multilingual encoder's cross-lingual transfer. Expect lower quality outside English.
- Counter-speech that quotes hate, and reclaimed slurs, are known hard cases; reviewers decide.
"""


def _thresholds(meta: dict[str, Any]) -> str:
    """The global threshold and the per-language ones, in words."""
    langs = ", ".join(f"{lang} {cut}" for lang, cut in sorted(meta.get("thresholds", {}).items()))
    text = f"{meta['threshold']} globally (maximises F1 on the validation splits)"
    return text + (f"; per language with at least 20 validation examples of each class, chosen the same way "
                   "on that language's validation data and shrunk toward the global one by n / (n + 200): "
                   f"{langs}; other languages use the global one" if langs else "")


def _bias(meta: dict[str, Any]) -> str:
    """The bias table, or a note when the head was trained before the audit existed."""
    from models.evaluation.bias import markdown_bias

    return markdown_bias(meta["bias"]) if meta.get("bias") else "Not computed for this head."
