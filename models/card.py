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
    return f"""# Model card: {meta['name']} {meta['version']}

Binary classifier for hateful (mostly xenophobic) speech, applied per sentence; a document's
score is its worst sentence. Target and severity come from lexicons (`models/lexicons/hate_terms.yaml`,
levels defined in `models/SEVERITY.md`).

- Trained: {meta['trained']} (seed {meta['seed']}, {meta['examples']} examples, Python {meta['python']})
- Encoders (frozen): {', '.join(meta['encoders'])}
- Head: scikit-learn StandardScaler + LogisticRegression (class-balanced), saved with skops
- Decision threshold: {meta['threshold']} (maximises F1 on the validation splits)
- Reproduce: `xenowatch train --data ../shared/data` (add `--limit N` for a quick run)

## Training data and licences
{data}
- `identity_neutral` / `identity_news` / `identity_hateful`: templated statements written for this
  project (`models/lexicons/identity_*.yaml`, EN/FR/ES, the same group terms on both sides): neutral,
  positive and counter-speech statements and news-style reports of hard facts (exploitation, debt,
  crime statistics, asylum delays) as label 0, dehumanising, threatening and excluding ones as
  label 1. They teach xenophobic dehumanisation (rare in the general data) while keeping a group
  term alone from reading as hate.
- `neutral_news`: everyday news sentences and posts written for this project in EN/FR/ES/DE/IT
  (sport, weather, crime and disaster reporting, ordinary uses of words like flood, wave or plague),
  label 0, so that news prose is not read as hostile.
- The written examples are weighted x{meta.get('template_weight', 2.0)} in training.

Only data whose licence allows redistributing a derived model is used for the shipped head.
HatEval 2019, HateCheck and Multilingual HateCheck are reserved for independent evaluation and never used.

## Test metrics (held-out splits)
| dataset/lang | n | positives | precision | recall | F1 | ROC AUC |
|---|---|---|---|---|---|---|
{rows}

## Limits
- HateXplain is general English hate speech (Twitter/Gab), MLMA is keyword-collected and almost all
  hostile: neither matches news prose. French comes from MLMA only; Spanish has no training data here
  and relies on the multilingual encoder's cross-lingual transfer. Expect lower quality outside English.
- Counter-speech that quotes hate, and reclaimed slurs, are known hard cases; reviewers decide.
"""
