"""`xenowatch bench classify`: classify throughput against the bare encoder and a naive pipeline."""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from benchmarks.measure import peak_rss_mb, timed
from models.hate.finetuned import FinetunedHateModel
from pipeline.classify.classifier import Classifier, classify_batch
from pipeline.core.config import BACKENDS, Settings
from pipeline.core.record import Article
from pipeline.jobs.factchecks import classifier_for
from pipeline.sample.server import sample_items

REPEATS = 2  # timed runs per measurement; the best is kept


def corpora(quick: bool) -> dict[str, list[Article]]:
    """Short posts and long articles built from the bundled sample (long = three articles joined)."""
    items = sample_items()
    posts = [it["text"] for it in items if it["kind"] == "post"]
    bodies = [it["text"] for it in items if it["kind"] == "article"]
    n_short, n_long = (120, 12) if quick else (1000, 60)
    short = [posts[i % len(posts)] + ("" if i < len(posts) else f" #{i}") for i in range(n_short)]
    long = ["\n\n".join(bodies[(i + k) % len(bodies)] for k in range(3)) for i in range(n_long)]
    return {name: [Article(url=f"bench:{name}:{i}", outlet="bench", text=t) for i, t in enumerate(texts)]
            for name, texts in (("short", short), ("long", long))}


def bare_encoder(clf: Classifier, texts: Sequence[str]) -> None:
    """The encoders' forward passes on whole texts in input order, fixed batches: the floor to beat."""
    if isinstance(clf.hate, FinetunedHateModel):
        return bare_finetuned(clf.hate, texts)
    for enc in clf.hate.encoders:
        batch = getattr(enc, "batch_size", 64)
        for start in range(0, len(texts), batch):
            enc.encode(list(texts[start:start + batch]))


def bare_finetuned(model: FinetunedHateModel, texts: Sequence[str]) -> None:
    """The fine-tuned model's own encoder forward on whole texts (up to 512 tokens) in input order, fixed batches."""
    import torch

    from models.hate.network import encode

    net = model.net
    with torch.inference_mode():  # net.model.encoder is in the model's own number format (bf16 or fp32)
        for start in range(0, len(texts), net.batch_size):
            net.model.encoder(**encode(net.tokenizer, texts[start:start + net.batch_size], 512, net.device))


def naive_finetuned(model: FinetunedHateModel, texts: Sequence[str]) -> Callable[[], None]:
    """One text at a time, whole (up to 512 tokens), through the fine-tuned classifier."""
    import torch

    from models.hate.network import encode

    def run() -> None:
        with torch.inference_mode():
            for text in texts:
                model.net.model(**encode(model.net.tokenizer, [text], 512, model.net.device))
    return run


def naive_pipeline(clf: Classifier, texts: Sequence[str]) -> Callable[[], None]:
    """One text at a time through a transformers feature-extraction pipeline, then the head."""
    from transformers import pipeline

    if isinstance(clf.hate, FinetunedHateModel):
        return naive_finetuned(clf.hate, texts)

    from models.encoders.base import resolve_model_path
    from models.features import lexicon_features, model_text

    path = resolve_model_path(clf.hate.meta["encoders"][0])
    extractor = pipeline("feature-extraction", model=path, framework="pt", device=-1)
    others = clf.hate.encoders[1:]

    def run() -> None:
        for text in texts:
            norm = model_text(text)
            hidden = np.asarray(extractor(norm, truncation=True, max_length=256))[0]
            vec = hidden.mean(axis=0)
            blocks = [vec / max(float(np.linalg.norm(vec)), 1e-9)] + [e.encode([norm])[0] for e in others]
            features = np.hstack(blocks + [lexicon_features([norm], clf.hate.lexicon)[0]])
            clf.hate.head.predict_proba(features[None, :])
    return run


def run_benchmark(settings: Settings, quick: bool = False, say: Callable[[str], None] = print,
                  backends: Sequence[str] = BACKENDS) -> dict[str, Any]:
    """Measure each corpus with each backend; the speed-ups are ratios of times measured here, in this process.
    The top-level figures are the default backend's (settings.backend) on short posts."""
    from models.hate.loading import is_finetuned, resolve_head

    order = [settings.backend] + [b for b in backends if b != settings.backend]
    if is_finetuned(resolve_head(settings.head)):  # the fine-tuned model runs in torch only
        order, settings = ["torch"], replace(settings, backend="torch")
    clfs = {b: classifier_for(replace(settings, backend=b)) for b in order}
    out: dict[str, Any] = {"quick": quick, "python": platform.python_version(), "backend": settings.backend,
                           "backends": order, "corpora": {}}
    for name, articles in corpora(quick).items():
        texts = [a.text for a in articles]
        say(f"bench {name}: {len(texts)} texts")
        naive_n = min(len(texts), 40 if quick else 200)
        naive = naive_pipeline(clfs[order[0]], texts[:naive_n])
        naive()  # warm, as the others
        t_naive = timed(naive) * len(texts) / naive_n
        rows = {b: _measure(clf, articles, texts, t_naive) for b, clf in clfs.items()}
        torch_time = rows["torch"]["seconds"] if "torch" in rows else None
        for row in rows.values():
            row["speedup_vs_torch"] = round(torch_time / row.pop("seconds"), 3) if torch_time else None
        out["corpora"][name] = {**rows[settings.backend], "naive_texts_per_s": round(len(texts) / t_naive, 1),
                                "by_backend": rows}
    out["functional"] = functional_v2(clfs[settings.backend].hate)
    short = out["corpora"]["short"]
    out.update(texts_per_s=short["texts_per_s"], ratio_to_bare_encoder=short["ratio_to_bare_encoder"],
               speedup_vs_naive=short["speedup_vs_naive"], peak_rss_mb=peak_rss_mb())
    return out


def functional_v2(model: Any) -> dict[str, Any]:
    """The functional suite v2's dev half (the test half is reported by `xenowatch eval --suite v2 --split test`)."""
    from models.evaluation.suite import load_cases, score_cases

    cases = load_cases("dev")
    results = model.predict([("", c.text) for c in cases], [c.lang for c in cases])
    return score_cases(cases, [r.hate for r in results])


def _measure(clf: Classifier, articles: list[Article], texts: list[str], t_naive: float) -> dict[str, Any]:
    """classify and the bare encoder forward with one backend, against the naive pipeline's time.
    Both are timed warm (best of REPEATS after one untimed pass): bfloat16 kernels are built per input shape
    on first use, a one-off cost reported apart as first_pass_s."""
    t_first = timed(partial(classify_batch, articles, clf))
    t_ours = timed(partial(classify_batch, articles, clf), REPEATS)
    bare_encoder(clf, texts)
    t_bare = timed(partial(bare_encoder, clf, texts), REPEATS)
    return {"texts": len(texts), "texts_per_s": round(len(texts) / t_ours, 1),
            "bare_encoder_texts_per_s": round(len(texts) / t_bare, 1),
            "ratio_to_bare_encoder": round(t_bare / t_ours, 3),
            "speedup_vs_naive": round(t_naive / t_ours, 2), "seconds": t_ours, "first_pass_s": round(t_first, 2)}


def format_table(result: dict[str, Any]) -> str:
    """A human-readable summary: one row per corpus and backend."""
    lines = [f"{'corpus':<8}{'backend':<9}{'texts':>7}{'texts/s':>10}{'bare enc/s':>12}{'naive/s':>10}"
             f"{'vs bare':>9}{'vs naive':>10}{'vs torch':>10}"]
    for name, corpus in result["corpora"].items():
        for backend, c in corpus["by_backend"].items():
            lines.append(f"{name:<8}{backend:<9}{c['texts']:>7}{c['texts_per_s']:>10}{c['bare_encoder_texts_per_s']:>12}"
                         f"{corpus['naive_texts_per_s']:>10}{c['ratio_to_bare_encoder']:>9}{c['speedup_vs_naive']:>10}"
                         f"{c['speedup_vs_torch'] if c['speedup_vs_torch'] is not None else '-':>10}")
    lines.append(f"peak RSS {result['peak_rss_mb']} MiB (whole process, all backends); "
                 f"default backend {result['backend']}")
    if "functional" in result:
        from models.evaluation.suite import format_scores

        lines.append("functional suite v2, dev half:\n" + format_scores(result["functional"]))
    for key, m in result.get("quality", {}).items():
        lines.append(f"quality {key:<26} n={m['n']:<5} P={m['precision']:.3f} R={m['recall']:.3f} "
                     f"F1={m['f1']:.3f} AUC={m['auc']}")
    return "\n".join(lines)
