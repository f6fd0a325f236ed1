"""Fact-check import: schema.org ClaimReview JSON-LD, Google Fact Check exports, CSV and JSON rows."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.core.errors import InputError
from pipeline.core.factcheck import MATCHABLE_LANGUAGES, FactCheck
from pipeline.core.safejson import hazard, loads_pruned
from pipeline.core.text import fold

CSV_COLUMNS = ("claim", "rating", "publisher", "url", "language", "date")
_ALIASES = {
    "claim": ("claim", "claimreviewed", "claim_reviewed", "text", "statement"),
    "rating": ("rating", "verdict", "textualrating", "textual_rating", "alternatename"),
    "publisher": ("publisher", "author", "source", "factchecker", "fact_checker"),
    "url": ("url", "review_url", "link"),
    "language": ("language", "lang", "inlanguage", "languagecode", "language_code"),
    "date": ("date", "datepublished", "date_published", "reviewdate", "review_date"),
}
# Ratings that confirm a claim: kept for reference, never used to flag an article.
MAX_DEPTH = 64  # ClaimReview JSON-LD nests a handful of levels; deeper records are refused one by one
_TRUE_RATINGS = re.compile(r"^(?:true|mostly true|correct|accurate|vrai|plutot vrai|exact"
                           r"|verdadero|cierto|correcto|mayormente verdadero)$")


@dataclass
class ParseResult:
    """The valid fact-checks of a file, and each invalid record's position and reason."""

    records: list[tuple[str, FactCheck]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_file(path: Path) -> ParseResult:
    """Fact-checks from a ClaimReview / JSON / JSON Lines / CSV file (chosen by content)."""
    try:
        data = path.read_bytes()
        if path.suffix.lower() == ".jsonl":
            return _parse_lines(data)
        raw = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}; give a UTF-8 JSON, JSON-LD or CSV file") from exc
    if path.suffix.lower() == ".csv":
        return _parse_csv(raw, path)
    if raw.lstrip()[:1] not in ("{", "["):
        raise InputError(f"{path}: neither JSON nor a .csv/.jsonl file; "
                         f"give ClaimReview JSON-LD, a JSON list or a CSV with columns {', '.join(CSV_COLUMNS)}")
    try:
        doc = loads_pruned(raw, MAX_DEPTH)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; "
                         "nothing was imported, fix the file and import it again") from exc
    except ValueError as exc:
        raise InputError(f"{path}: unreadable JSON ({exc}); nothing was imported, fix the file") from exc
    return _collect(_items(doc))


def _items(data: Any) -> Iterator[tuple[str, Any]]:
    """(position, record) pairs from the JSON shapes we accept."""
    if isinstance(data, Mapping) and isinstance(data.get("@graph"), list):
        yield from ((f"@graph[{i}]", item) for i, item in enumerate(data["@graph"]))
    elif isinstance(data, Mapping) and isinstance(data.get("claims"), list):
        yield from _google_items(data["claims"])
    elif isinstance(data, list):
        for i, item in enumerate(data):
            if isinstance(item, Mapping) and isinstance(item.get("@graph"), list):
                yield from ((f"[{i}].@graph[{j}]", sub) for j, sub in enumerate(item["@graph"]))
            else:
                yield f"[{i}]", item
    else:
        yield "record 1", data


def _google_items(claims: list[Any]) -> Iterator[tuple[str, Any]]:
    """Flatten a Google Fact Check Tools export: one record per review of each claim."""
    for i, item in enumerate(claims):
        reviews = item.get("claimReview") if isinstance(item, Mapping) else None
        if not isinstance(reviews, list) or not reviews:
            yield f"claims[{i}]", {"_error": "no claimReview list"}
            continue
        for j, review in enumerate(reviews):
            merged = {**review, "claim": item.get("text")} if isinstance(review, Mapping) else review
            yield f"claims[{i}].claimReview[{j}]", merged


def _parse_lines(data: bytes) -> ParseResult:
    """JSON Lines: one record per line; a malformed line (JSON, UTF-8, depth) is reported and skipped."""
    result = ParseResult()
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            item = loads_pruned(raw.decode("utf-8"), MAX_DEPTH)
        except UnicodeDecodeError as exc:
            result.problems.append(f"line {number}: invalid UTF-8 at byte {exc.start}; re-encode the line as UTF-8")
            continue
        except json.JSONDecodeError as exc:
            result.problems.append(f"line {number}: malformed JSON ({exc.msg} at column {exc.colno})")
            continue
        except ValueError as exc:
            result.problems.append(f"line {number}: unreadable JSON ({exc})")
            continue
        _add(result, f"line {number}", item)
    return result


def _parse_csv(raw: str, path: Path) -> ParseResult:
    """CSV with a header row naming (at least) claim, rating, publisher and url."""
    reader = csv.DictReader(io.StringIO(raw))
    header = {_column(name) for name in reader.fieldnames or []}
    missing = [c for c in ("claim", "rating", "publisher", "url") if c not in header]
    if missing:
        raise InputError(f"{path}: the CSV header lacks {', '.join(missing)}; "
                         f"expected columns: {', '.join(CSV_COLUMNS)} (language and date optional)")
    result = ParseResult()
    for number, row in enumerate(_csv_records(reader), 2):
        if isinstance(row, csv.Error):
            result.problems.append(f"line {number}: unreadable CSV record ({row})")
            continue
        _add(result, f"line {number}", {_column(k): v for k, v in row.items() if k is not None})
    return result


def _csv_records(reader: csv.DictReader[str]) -> Iterator[dict[str, Any] | csv.Error]:
    """Each CSV record, or the error that made it unreadable (an oversized field): the reader goes on after it."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield exc


def _column(name: str) -> str:
    """The canonical column a header (or JSON key) stands for, else the name lowercased."""
    key = name.strip().lower().replace(" ", "_")
    for canonical, aliases in _ALIASES.items():
        if key in aliases:
            return canonical
    return key


def _collect(items: Iterator[tuple[str, Any]]) -> ParseResult:
    """Parse every record, keeping the valid ones and the reasons for the others."""
    result = ParseResult()
    for position, item in items:
        _add(result, position, item)
    return result


def _add(result: ParseResult, position: str, item: Any) -> None:
    """Parse one record into the result, or note why it was refused."""
    why = hazard(item, MAX_DEPTH)
    if why:
        result.problems.append(f"{position}: {why}")
        return
    try:
        result.records.append((position, _with_language_check(record_from(item))))
    except InputError as exc:
        result.problems.append(f"{position}: {exc}")


def record_from(item: Any) -> FactCheck:
    """A FactCheck from a ClaimReview object or a flat export row (InputError saying what is missing)."""
    if not isinstance(item, Mapping):
        raise InputError(f"not an object but {type(item).__name__}")
    if item.get("_error"):
        raise InputError(str(item["_error"]))
    kind = item.get("@type")
    types = kind if isinstance(kind, list) else [kind]
    if kind is not None and "ClaimReview" not in types:
        raise InputError(f"@type is {kind!r}, not ClaimReview")
    fields = _claimreview_fields(item) if kind is not None else _flat_fields(item)
    missing = [name for name in ("claim", "url", "publisher") if not fields.get(name)]
    if missing:
        raise InputError(f"no {', '.join(missing)}")
    if not fields.get("rating"):
        raise InputError("no rating (give reviewRating.alternateName, or ratingValue with "
                         "bestRating/worstRating, or a rating column)")
    return FactCheck(claim=" ".join(fields["claim"].split()), rating=fields["rating"],
                     publisher=fields["publisher"], url=fields["url"].strip(),
                     lang=_lang_code(fields.get("language")), date=fields.get("date") or None)


def _claimreview_fields(item: Mapping[str, Any]) -> dict[str, str]:
    """Claim, rating, publisher, url, language and date of a schema.org ClaimReview."""
    found = item.get("itemReviewed")
    reviewed: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    claim = _text(item.get("claimReviewed")) or _text(reviewed.get("text")) or _text(reviewed.get("name"))
    publisher = _name(item.get("author")) or _name(item.get("publisher"))
    return {"claim": claim, "rating": _rating(item.get("reviewRating")), "publisher": publisher,
            "url": _text(item.get("url")), "language": _name(item.get("inLanguage")),
            "date": _text(item.get("datePublished")) or _text(item.get("dateCreated"))}


def _flat_fields(item: Mapping[str, Any]) -> dict[str, str]:
    """The canonical fields of a flat CSV / JSON / Google export row."""
    out: dict[str, str] = {}
    for key, value in item.items():
        column = _column(str(key))
        if column in _ALIASES and not out.get(column):
            out[column] = _name(value) if column == "publisher" else _text(value)
    return out


def _text(value: Any) -> str:
    """A stripped string, or '' for anything that is not a string or number."""
    return str(value).strip() if isinstance(value, (str, int, float)) else ""


def _name(value: Any) -> str:
    """A name from a string, an object with name/alternateName, or the first of a list."""
    if isinstance(value, list):
        return next((n for n in (_name(v) for v in value) if n), "")
    if isinstance(value, Mapping):
        return _text(value.get("name")) or _text(value.get("alternateName")) or _text(value.get("url"))
    return _text(value)


def _rating(value: Any) -> str:
    """The verdict text, or a numeric rating placed on its scale ('2/5: mostly false')."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, Mapping):
        return _text(value)
    if _text(value.get("alternateName")):
        return _text(value["alternateName"])
    try:
        got = float(value["ratingValue"])
        best, worst = float(value.get("bestRating", 5)), float(value.get("worstRating", 1))
    except (KeyError, TypeError, ValueError, OverflowError):
        return ""
    if best <= worst or not worst <= got <= best:
        return ""
    share = (got - worst) / (best - worst)
    label = ("false" if share < 0.2 else "mostly false" if share < 0.45 else "half true" if share < 0.7
             else "mostly true" if share < 0.95 else "true")
    return f"{got:g}/{best:g}: {label}"


def _lang_code(value: str | None) -> str | None:
    """A lowercase ISO 639-1 code from 'en', 'en-GB', 'English' or 'Español'."""
    if not value:
        return None
    folded = fold(value.strip())
    names = {"english": "en", "french": "fr", "francais": "fr", "spanish": "es", "espanol": "es",
             "castellano": "es", "german": "de", "deutsch": "de", "italian": "it", "italiano": "it"}
    return names.get(folded, folded.split("-")[0].split("_")[0][:3])


def _with_language_check(fc: FactCheck) -> FactCheck:
    """Mark a fact-check that cannot be matched (language, or a verdict that confirms the claim)."""
    lang = fc.lang
    if lang is None:
        from pipeline.core.language import detect

        lang = detect(fc.claim, fallback=None)
    if lang is None:
        return replace(fc, matchable=False, note="language unknown (claim too short to detect; give "
                                                 "inLanguage or a language column): imported, not matched")
    if lang not in MATCHABLE_LANGUAGES:
        return replace(fc, lang=lang, matchable=False,
                       note=f"language {lang!r} is not supported for matching "
                            f"({', '.join(MATCHABLE_LANGUAGES)}): imported, not matched")
    if is_confirmed(fc.rating):
        return replace(fc, lang=lang, matchable=False,
                       note=f"rated {fc.rating!r} (the claim holds): kept for reference, never flagged")
    return replace(fc, lang=lang)


def is_confirmed(rating: str) -> bool:
    """Whether a verdict says the claim is true (such fact-checks never flag an article)."""
    text = fold(rating).strip().rstrip(".!")
    return bool(_TRUE_RATINGS.match(text) or re.search(r": (?:mostly )?true$", text))
