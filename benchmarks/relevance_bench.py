"""`xenowatch bench relevance`: the relevance stage's cost against the hate model it gates."""

from __future__ import annotations

import dataclasses
import platform
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from benchmarks.measure import peak_rss_mb, timed
from models.relevance import lexicon as relevance
from models.relevance.model import load_relevance_model
from pipeline.classify.classifier import Classifier, classify_batch
from pipeline.core.config import Settings
from pipeline.core.language import detect_batch
from pipeline.core.record import Article
from pipeline.jobs.factchecks import classifier_for
from pipeline.sample.server import sample_items


def corpus(quick: bool) -> tuple[list[Article], np.ndarray]:
    """The bundled sample (articles and posts, EN/FR/ES) with language set, twice over unless quick,
    and whether each item is about migration (its sample category is not `non_migration`)."""
    items = sample_items()
    copies = 1 if quick else 2
    articles = [Article(url=f"bench:{k}:{i}", outlet="bench", title=it.get("title") or "",
                        text=it["text"] + ("" if k == 0 else f" ({k})"))
                for k in range(copies) for i, it in enumerate(items)]
    labels = np.array([int(it["category"] != "non_migration") for _ in range(copies) for it in items])
    return detect_batch(articles), labels


def sample_quality(articles: list[Article], labels: np.ndarray, clf: Classifier, gate: float) -> dict[str, Any]:
    """Relevance precision and recall on the sample at the gate: combined score and lexicon alone."""
    from models.relevance.training import metrics

    combined = np.array([a.relevance for a in relevance.score_batch(articles, clf.lexicon, clf.relevance_model)])
    lexical = np.array([a.relevance for a in relevance.score_batch(articles, clf.lexicon)])
    return {"gate": gate, "combined": metrics(labels, (combined >= gate).astype(int)),
            "lexicon": metrics(labels, (lexical >= gate).astype(int))}


def run_benchmark(settings: Settings, quick: bool = False, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Texts/s of the lexicon, of the combined score and of the hate model; classify's overhead."""
    base = classifier_for(settings)
    model = base.relevance_model or load_relevance_model()
    clf, lexicon_only = (dataclasses.replace(base, relevance_model=m) for m in (model, None))
    articles, labels = corpus(quick)
    say(f"relevance bench: {len(articles)} texts")
    classify_batch(articles[:4], clf)  # warm-up: encoders and lemma tables loaded
    t_lexicon = timed(partial(relevance.score_batch, articles, clf.lexicon), repeat=2)
    t_combined = timed(partial(relevance.score_batch, articles, clf.lexicon, model))
    t_hate = timed(partial(clf.hate.predict, [(a.title, a.text) for a in articles]))
    t_full = timed(partial(classify_batch, articles, clf))
    t_full_lexicon = timed(partial(classify_batch, articles, lexicon_only))
    n = len(articles)
    return {"texts": n, "python": platform.python_version(),
            "texts_per_s": {"lexicon": round(n / t_lexicon, 1), "combined": round(n / t_combined, 1),
                            "hate_model": round(n / t_hate, 1)},
            "lexicon_speedup_vs_hate": round(t_hate / t_lexicon, 1),
            "combined_speedup_vs_hate": round(t_hate / t_combined, 2),
            "classify_overhead_ratio": round(t_full / t_full_lexicon, 3),
            "sample_quality": sample_quality(articles, labels, clf, settings.relevance_gate),
            "peak_rss_mb": peak_rss_mb()}


def format_table(result: dict[str, Any]) -> str:
    """The benchmark as a short table."""
    tps = result["texts_per_s"]
    return "\n".join([
        f"relevance on {result['texts']} sample texts (texts/s): lexicon {tps['lexicon']}, "
        f"combined {tps['combined']}, hate model {tps['hate_model']}",
        f"lexicon {result['lexicon_speedup_vs_hate']}x and combined {result['combined_speedup_vs_hate']}x "
        "faster than the hate model",
        f"classify with the embedding relevance / with the lexicon only: {result['classify_overhead_ratio']}x "
        "(ungated: the shared embeddings are reused)",
        _quality_line(result["sample_quality"]),
        f"peak RSS {result['peak_rss_mb']} MiB"])


def _quality_line(q: dict[str, Any]) -> str:
    """Sample precision and recall, combined against lexicon alone."""
    c, lx = q["combined"], q["lexicon"]
    return (f"sample items about migration at gate {q['gate']}: combined P={c['precision']} R={c['recall']}, "
            f"lexicon alone P={lx['precision']} R={lx['recall']} (n={c['n']}, {c['positives']} about migration)")
