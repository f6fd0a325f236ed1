"""Reviewed items as training data: the JSONL that `xenowatch train --extra FILE` reads."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any


def label_of(verdict: str, severity: str | None) -> str:
    """confirm -> hatespeech (offensive when the reviewer set severity 'offensive'); reject -> normal."""
    if verdict == "reject":
        return "normal"
    return "offensive" if severity == "offensive" else "hatespeech"


def training_lines(rows: Sequence[dict[str, Any]]) -> Iterator[str]:
    """One JSON line per reviewed article with text (title and body), label, lang, target, split, source_id."""
    for row in rows:
        text = "\n".join(part for part in (row.get("title"), row.get("text")) if part).strip()
        if not text:
            continue
        label = label_of(row["verdict"], row.get("severity"))
        yield json.dumps({"text": text, "label": label, "lang": row.get("lang"),
                          "target": row.get("target") if label != "normal" else None, "split": "train",
                          "source_id": f"review:{row['id']}"}, ensure_ascii=False) + "\n"
