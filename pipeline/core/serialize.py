"""Records to and from JSON: the classify and score line contracts, and stored model outputs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pipeline.core.record import Article, ClaimMatch, HateResult, Span


def classification_fields(article: Article, model: dict[str, Any]) -> dict[str, Any]:
    """The fields `classify --jsonl` adds to each line."""
    h = article.hate
    return {"lang": article.lang, "migration_relevance": round(article.relevance or 0.0, 4),
            "hate": bool(h.hate) if h else False, "hate_score": h.score if h else 0.0,
            "target": h.target if h else None, "severity": h.severity if h else "none",
            "evidence": [s.to_dict() for s in h.evidence] if h else [],
            "misinformation": [m.to_dict() for m in article.misinformation],
            "check_worthy": [c.to_dict() for c in article.check_worthy], "model": model}


def rubric_fields(article: Article) -> dict[str, Any]:
    """The fields `score --jsonl` adds to each line."""
    r = article.rubric
    if r is None:
        return {"ilo_score": None, "criteria": [], "rubric_version": None}
    return {"ilo_score": round(r.score, 2), "criteria": [c.to_dict() for c in r.criteria],
            "rubric_version": r.version}


def span_from(data: dict[str, Any]) -> Span:
    """A Span from its JSON form."""
    return Span(int(data["start"]), int(data["end"]), str(data.get("text", "")),
                str(data.get("label", "")), str(data.get("field", "text")))


def hate_from(fields: dict[str, Any], model: str) -> HateResult | None:
    """A HateResult from classify output fields (None when the item was not classified)."""
    if fields.get("hate") is None or fields.get("hate_score") is None:
        return None
    return HateResult(hate=bool(fields["hate"]), score=float(fields["hate_score"]),
                      target=fields.get("target"), severity=str(fields.get("severity") or "none"),
                      evidence=tuple(span_from(s) for s in fields.get("evidence") or []), model=model)


def claims_from(items: Sequence[dict[str, Any]]) -> tuple[ClaimMatch, ...]:
    """ClaimMatches from their JSON form."""
    return tuple(ClaimMatch(str(m["claim_id"]), str(m["claim"]), str(m["rating"]), str(m["source"]),
                            str(m["url"]), float(m["similarity"]), span_from(m["evidence"]),
                            str(m.get("publisher") or ""), str(m.get("language") or ""),
                            str(m.get("date") or ""), str(m.get("kind") or "myth"))
                 for m in items)


def classified_article(article: Article, row: Sequence[Any], model: str) -> Article:
    """An article with its stored classification (relevance, hate..., evidence, misinformation)."""
    relevance, hate, score, target, severity, evidence, misinfo = row
    fields = {"hate": hate, "hate_score": score, "target": target, "severity": severity,
              "evidence": json.loads(evidence) if evidence else []}
    return article.evolve(relevance=relevance, hate=hate_from(fields, model),
                          misinformation=claims_from(json.loads(misinfo) if misinfo else []))


def article_from_line(data: dict[str, Any], line: int) -> Article:
    """An Article for one input line of the JSONL contracts (already checked to have `text`)."""
    published = None
    if data.get("published"):
        try:
            published = datetime.fromisoformat(str(data["published"]).replace("Z", "+00:00"))
        except ValueError:
            published = None
    article = Article(url=str(data.get("url") or f"jsonl:{data.get('id', line)}"),
                      outlet=str(data.get("outlet") or "jsonl"), title=str(data.get("title") or ""),
                      text=str(data["text"]), lang=data.get("lang") or None, published=published)
    return _with_classification(article, data)


def _with_classification(article: Article, data: dict[str, Any]) -> Article:
    """Reuse classify output already on the line; malformed fields mean 'classify again'."""
    if "hate" not in data or "hate_score" not in data:
        return article
    model = data.get("model")
    tag = str(model.get("tag", "input")) if isinstance(model, dict) else "input"
    try:
        return article.evolve(hate=hate_from(data, tag), relevance=float(data.get("migration_relevance") or 0.0),
                              misinformation=claims_from(data.get("misinformation") or []))
    except (KeyError, TypeError, ValueError):
        return article
