"""The relevance head's model card, written next to the artifact by `xenowatch train-relevance`."""

from __future__ import annotations

from typing import Any


def model_card(meta: dict[str, Any]) -> str:
    """MODEL_CARD.md for a trained relevance head."""
    cv = meta["cv_metrics"]
    lines = [
        f"# Model card: {meta['name']} {meta['version']}", "",
        "Is a news passage about migration, migrants, refugees, asylum or diaspora? A logistic-regression",
        "head over multilingual sentence embeddings of the title and of the first sentence (the higher of",
        "the two probabilities counts), combined with the lemma-aware lexicon score",
        "(`models/lexicons/relevance.yaml`) by a logistic stacker fitted on out-of-fold predictions, so the",
        "result is a calibrated 0..1 probability.", "",
        f"- Trained: {meta['trained']} (seed {meta['seed']}, Python {meta['python']})",
        f"- Encoder (frozen): {meta['encoder']} ({meta['encoder_version']}); lexicon {meta['lexicon']}",
        f"- Embedding head: LogisticRegression (class-balanced, C={meta['C']} by 5-fold log-loss on the train split)",
        f"- Stacker: sigmoid({meta['stack_coef'][0]} x embedding probability + {meta['stack_coef'][1]} x lexicon "
        f"score {'-' if meta['stack_intercept'] < 0 else '+'} {abs(meta['stack_intercept'])}); "
        "both weights positive, so the score grows with either signal",
        f"- Suggested gate: {meta['suggested_gate']} (highest gate keeping out-of-fold recall >= "
        f"{meta['target_recall']} on the train split; the test split is never used for a choice)",
        "- Saved with skops; loaded with an allow-list (LogisticRegression, numpy arrays) and a structure check",
        "- Reproduce: `xenowatch train-relevance` (defaults: models/relevance/data/train.jsonl, test.jsonl)", "",
        "## Training data",
        f"- `{meta['train']['file']}` (sha256 {meta['train']['sha256'][:16]}...): {meta['train']['n']} passages, "
        f"{meta['train']['positives']} about migration, written for this project in EN/FR/ES/DE/IT",
        "  (labelling rules in models/relevance/data/README.md). No third-party data.", "",
        "## Cross-validated on the train split (at the suggested gate)",
        f"P={cv['precision']} R={cv['recall']} F1={cv['f1']} (n={cv['n']})", "",
    ]
    if "test_metrics" in meta:
        lines += _test_section(meta["test_metrics"], meta.get("test_file", "test.jsonl"))
    lines += [
        "## Limits",
        "- Calibrated on the written sets (about 40 % migration passages); real news has far fewer, so a",
        "  score is a ranking signal and the gate a recall-first cut, not a base-rate probability.",
        "- The embedding reads only the title and the first sentence, and was trained on untitled passages",
        "  (first sentences). A body that turns to migration later relies on the lexicon, which reads it all.",
        "- DE and IT have few training passages; their figures rest on 20 test passages each.",
        "- In the default cascade the head reads only items with a lexicon hit or one of the lexicon's cues:",
        "  an implicit reference with neither is never read (README, Migration relevance).",
        "- From lexicon 2.3 the cascade scores look-alikes 0 without asking the head: an item that names the",
        "  migration of animals, data or cells and no migrant (`lookalikes` in the lexicon).",
        "- Political and foreign-affairs statements that reach the head through a cue (a country, 'benefits',",
        "  'claims') are often passed (figures per head version: README, Migration relevance). Measure with",
        "  `xenowatch eval-relevance --liar DIR` (LIAR's statements, the immigration subject as the label) and",
        "  `--data models/relevance/data/politics.jsonl`, against the lexicon alone in the same table.",
    ]
    return "\n".join(lines) + "\n"


def _test_section(result: dict[str, Any], name: str) -> list[str]:
    """The held-out table: per language, combined against lexicon alone."""
    out = [f"## Held-out test split (`{name}`, gate {result['gate']})", "",
           "| language | n | positives | P | R | F1 | lexicon alone P / R |", "|---|---|---|---|---|---|---|"]
    for lang, row in result["languages"].items():
        c, lx = row["combined"], row["lexicon"]
        out.append(f"| {lang} | {c['n']} | {c['positives']} | {c['precision']} | {c['recall']} | {c['f1']} "
                   f"| {lx['precision']} / {lx['recall']} |")
    out += ["", "Share passing the gate by kind: " + ", ".join(
        f"{kind} {k['share_passed']} (lexicon {k['lexicon_share_passed']})" for kind, k in result["kinds"].items()), ""]
    return out
