"""Builds the functional suite v2 (cases_<lang>.jsonl) from the hand-written sources in source/<lang>.txt.

Run from the repository root: `python models/evaluation/functional_v2/build.py` (writes the files) or
`... build.py --check` (exit 1 if the committed files differ from what the sources give).

Source format, one record per line, fields separated by " | ", `#` starts a comment line:
  G | key | target | field=value | ...           a group that templates fill in (fields such as the=, a=, g=m|f)
  T | functionality | H/N | key key ... | text    a template: one family, one case per listed group
  C | functionality | target | H/N | text        a free-written case that starts its own family
  + | functionality | target | H/N | text        joins the family above (contrast pair, spelling variant)
In a template, {field} is the group's field, {Field} the same capitalised, {m|f} picks by the group's g.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import asdict
from pathlib import Path

from models.evaluation.suite import Case

HERE = Path(__file__).resolve().parent
LANGS = ("en", "fr", "es", "de", "it")
LABELS = {"H": "hateful", "N": "non-hateful"}
TARGETS = ("migrants", "refugees", "asylum_seekers", "foreign_workers", "religion", "ethnicity", "gender",
           "sexuality", "disability", "none")
FUNCTIONALITIES = ("derogation", "dehumanisation", "threat_direct", "threat_normative", "slur", "profanity",
                   "pronoun_reference", "subclause_reference", "negated_hate", "negated_positive", "question",
                   "opinion", "neutral_statement", "positive_statement", "counter_quote", "counter_reference",
                   "abuse_individual", "abuse_object", "abuse_nonprotected", "spell_char_swap",
                   "spell_char_deletion", "spell_space_added", "spell_space_removed", "spell_leet")
# Chosen once: of the salts "functional-v2/{i}/" for i < 5000, the one whose halves came closest to 50 % of every
# language and of each label within it (worst 46.6 / 53.4). Never change it: a new salt would move families between
# the halves and unlock the test half.
SALT = "functional-v2/648/"
_SLOT = re.compile(r"\{([^{}]+)\}")


def split_of(family: str) -> str:
    """'dev' or 'test' for a family id, from a hash of it (so siblings never straddle the halves)."""
    return "test" if hashlib.sha256((SALT + family).encode()).digest()[0] % 2 else "dev"


def _fill(template: str, group: dict[str, str]) -> str:
    def slot(match: re.Match[str]) -> str:
        name = match.group(1)
        if "|" in name:
            masculine, feminine = name.split("|")
            return feminine if group.get("g") == "f" else masculine
        value = group[name.lower()]
        return value[:1].upper() + value[1:] if name[:1].isupper() else value
    return _SLOT.sub(slot, template)


def _check(lang: str, n: int, member: tuple[str, str, str, str]) -> None:
    functionality, target, label, _ = member
    if functionality not in FUNCTIONALITIES or target not in TARGETS or label not in LABELS:
        raise ValueError(f"source/{lang}.txt line {n}: unknown functionality, target or label in {member}")


def parse(lang: str, source: str) -> list[Case]:
    """The cases of one language's source text, in file order, each with its family and split."""
    groups: dict[str, dict[str, str]] = {}
    families: list[tuple[str, list[tuple[str, str, str, str]]]] = []
    for n, line in enumerate(source.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        kind, *fields = [f.strip() for f in line.split(" | ")]
        if kind == "G":
            groups[fields[0]] = {"target": fields[1], **dict(f.split("=", 1) for f in fields[2:])}
        elif kind == "T":
            functionality, label, keys, template = fields
            members = [(functionality, groups[k]["target"], label, _fill(template, groups[k])) for k in keys.split()]
            families.append((template, members))
        elif kind in ("C", "+"):
            functionality, target, label, text = fields
            if kind == "C":
                families.append((text, []))
            families[-1][1].append((functionality, target, label, text))
        else:
            raise ValueError(f"source/{lang}.txt line {n}: unknown record kind {kind!r}")
        if kind != "G":
            for member in families[-1][1] if kind == "T" else families[-1][1][-1:]:
                _check(lang, n, member)
    rows = []
    for head, members in families:
        family = f"{lang}-{hashlib.sha1(head.encode()).hexdigest()[:8]}"
        for i, (functionality, target, label, text) in enumerate(members, 1):
            rows.append(Case(f"{family}-{i}", lang, functionality, target, LABELS[label], text, split_of(family),
                            family))
    return rows


def build() -> dict[str, str]:
    """Every language's JSONL text, keyed by file name; refuses duplicate ids or texts."""
    out, ids, texts = {}, set(), set()
    for lang in LANGS:
        rows = parse(lang, (HERE / "source" / f"{lang}.txt").read_text(encoding="utf-8"))
        for row in rows:
            if row.id in ids or row.text in texts:
                raise ValueError(f"duplicate id or text: {row.id} {row.text!r}")
            ids.add(row.id)
            texts.add(row.text)
        out[f"cases_{lang}.jsonl"] = "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in rows)
    return out


def main(argv: list[str]) -> int:
    """Write the JSONL files (or, with --check, compare them); the exit status."""
    files = build()
    if "--check" in argv:
        stale = [name for name, text in files.items()
                 if not (HERE / name).exists() or (HERE / name).read_text(encoding="utf-8") != text]
        print("stale: " + ", ".join(stale) if stale else "up to date")
        return int(bool(stale))
    for name, text in files.items():
        (HERE / name).write_text(text, encoding="utf-8")
    print(f"wrote {sum(t.count(chr(10)) for t in files.values())} cases in {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
