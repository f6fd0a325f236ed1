"""Which hate-speech flags count in the award, and how often one phrase is penalised.

Decisions (README "Award" and methodology.html say the same):
- A reviewer's verdict always counts (a rejected flag passes, a confirmed one scores by its severity).
- An unreviewed flag counts only from MIN_CONFIDENCE up: below it the classifier is too often wrong
  (its measured precision is in methodology.html) for a flag nobody checked to weigh on an outlet.
- One phrase is penalised once: where a counted flag's passage holds a term that the terminology or
  dehumanising criterion penalises, that term is not counted again by those criteria."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.rubric.score import Rubric, apply_verdict, total_score

MIN_CONFIDENCE = 0.8
SAME_PHRASE = ("terminology", "dehumanising")
RULES = {"hate_min_confidence": MIN_CONFIDENCE, "hate_same_phrase_once": list(SAME_PHRASE)}


def award_row(row: Mapping[str, Any], verdict: Mapping[str, Any] | None, rubric: Rubric) -> dict[str, Any]:
    """A rubric result row (id, score, criteria) as the award counts it; unchanged rows are returned as they are."""
    hate = next((c for c in row["criteria"] if c["id"] == "hate_flag" and float(c["score"]) < 1.0), None)
    if verdict is None and hate is None:
        return dict(row)
    if verdict is not None:
        _, criteria = apply_verdict(row["criteria"], verdict, rubric)
        counted = hate if verdict["decision"] == "confirm" else None
        extra = {"verdict": verdict["decision"]}
    elif hate is not None and 1.0 - float(hate["score"]) < MIN_CONFIDENCE:
        criteria = [_not_counted(c) if c is hate else dict(c) for c in row["criteria"]]
        counted, extra = None, {}
    else:
        criteria, counted, extra = [dict(c) for c in row["criteria"]], hate, {}
    if counted is not None:
        criteria = once_per_phrase(criteria, counted.get("evidence") or [], rubric)
    if criteria == [dict(c) for c in row["criteria"]] and not extra:
        return dict(row)
    return {**row, "score": total_score([(float(c["weight"]), float(c["score"])) for c in criteria]),
            "criteria": criteria, **extra}


def _not_counted(hate: Mapping[str, Any]) -> dict[str, Any]:
    """The hate criterion of an unreviewed, low-confidence flag: shown, not counted."""
    confidence = 1.0 - float(hate["score"])
    return {**hate, "score": 1.0, "counted": False,
            "explanation": f"{hate['explanation']} Not counted in the award: nobody has reviewed it and the "
                           f"classifier's confidence {confidence:.2f} is below {MIN_CONFIDENCE:.2f}."}


def once_per_phrase(criteria: Sequence[dict[str, Any]], passages: Sequence[Mapping[str, Any]],
                    rubric: Rubric) -> list[dict[str, Any]]:
    """Criteria with the terminology and dehumanising hits that lie in a counted hate flag's passages left out."""
    penalties = {c.id: float(c.params.get("penalty", 0.0)) for c in rubric.criteria if c.id in SAME_PHRASE}
    out = []
    for c in criteria:
        hits = c.get("evidence") or []
        inside = [s for s in hits if any(_overlap(s, p) for p in passages)]
        if c["id"] not in penalties or float(c["score"]) >= 1.0 or not inside:
            out.append(c)
            continue
        kept = [s for s in hits if s not in inside]
        words = ", ".join(dict.fromkeys(f"'{s.get('text', '')}'" for s in inside))
        out.append({**c, "evidence": kept, "score": round(max(0.0, 1.0 - penalties[c["id"]] * len(kept)), 4),
                    "counted": bool(kept), "explanation": f"{c['explanation']} Not counted again for {words}: the "
                                                          "hate-speech flag already penalises that passage."})
    return out


def _overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two spans share characters of the same field."""
    return (a.get("field", "text") == b.get("field", "text")
            and int(a.get("start", 0)) < int(b.get("end", 0)) and int(b.get("start", 0)) < int(a.get("end", 0)))
