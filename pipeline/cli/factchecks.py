"""Fact-check commands: import ClaimReview / CSV / JSON files, list them, evaluate the matcher."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from pipeline.cli._util import State, echo_err, factchecks_app
from pipeline.db import factchecks as factchecks_db
from pipeline.db.database import Database


@factchecks_app.command("import")
def factchecks_import(file: Path = typer.Argument(..., help="ClaimReview JSON-LD, JSON, JSON Lines or CSV.")) -> None:
    """Store fact-checks; invalid records are reported with their position and the rest imported."""
    from pipeline.misinfo.factchecks import parse_file

    parsed = parse_file(file)
    records = [fc for _, fc in parsed.records]
    db = Database.open(State.settings().db)
    dupes = set(factchecks_db.add_factchecks(db, records, str(file)))
    seen: set[str] = set()
    imported = duplicates = 0
    for position, fc in parsed.records:
        if fc.id in dupes or fc.id in seen:
            duplicates += 1
            echo_err(f"{file}: {position}: duplicate of an imported fact-check ({fc.url}), skipped")
            continue
        seen.add(fc.id)
        imported += 1
        if fc.note:
            echo_err(f"{file}: {position}: {fc.note}")
    for problem in parsed.problems:
        echo_err(f"{file}: {problem}; record skipped")
    typer.echo(f"imported {imported} fact-checks from {file}: {duplicates} duplicates skipped, "
               f"{len(parsed.problems)} invalid records skipped")
    from pipeline.jobs.rematch import rematch_new

    checks, gained = rematch_new(db)
    typer.echo(f"matched {checks} new fact-checks against the stored articles: {gained} articles gained a match")


@factchecks_app.command("list")
def factchecks_list(as_json: bool = typer.Option(False, "--json", help="One JSON object per line.")) -> None:
    """The imported fact-checks: language, matchable, rating, publisher, claim, URL."""
    for fc in factchecks_db.list_factchecks(Database.open(State.settings().db)):
        if as_json:
            typer.echo(json.dumps({"id": fc.id, "claim": fc.claim, "rating": fc.rating,
                                   "publisher": fc.publisher, "url": fc.url, "language": fc.lang,
                                   "date": fc.date, "matchable": fc.matchable, "note": fc.note},
                                  ensure_ascii=False))
        else:
            flag = "match" if fc.matchable else "kept"
            typer.echo(f"{fc.lang or '-'}\t{flag}\t{fc.rating}\t{fc.publisher}\t{fc.claim}\t{fc.url}")


@factchecks_app.command("requests")
def factchecks_requests(as_json: bool = typer.Option(False, "--json", help="One JSON object per line.")) -> None:
    """Check-worthy sentences monitors sent to the fact-check list: when, who, article URL, sentence."""
    from pipeline.db.review import factcheck_requests

    for r in factcheck_requests(Database.open(State.settings().db)):
        if as_json:
            typer.echo(json.dumps({**r, "requested_at": str(r["requested_at"])}, ensure_ascii=False))
        else:
            typer.echo(f"{r['requested_at']}\t{r['requested_by']}\t{r['url']}\t{r['sentence']}")


@factchecks_app.command("eval")
def factchecks_eval(split: str = typer.Option("test", "--split", help="dev, test or all."),
                    cases: Path | None = typer.Option(None, "--set", help="Matching set (default: bundled)."),
                    factchecks: Path | None = typer.Option(None, "--factchecks",
                                                            help="Fact-checks to match (default: bundled sample)."),
                    threshold: float | None = typer.Option(None, "--threshold",
                                                           help="Myths'; default: the shipped one."),
                    fc_threshold: float | None = typer.Option(None, "--factcheck-threshold",
                                                              help="Imported fact-checks'; default: the shipped one."),
                    calibrate: bool = typer.Option(False, "--calibrate", help="Sweep thresholds on the dev split."),
                    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON.")) -> None:
    """Precision and recall per language of claim matching (the bundled sets: also English fact-checks
    against EN/FR/ES sentences) and check-worthy detection."""
    from pipeline.core.errors import ConfigError
    from pipeline.misinfo import evaluate as ev
    from pipeline.misinfo.matcher import DEFAULT_THRESHOLD, FACTCHECK_THRESHOLD

    if split not in ev.SPLITS:
        raise ConfigError(f"--split {split!r} is invalid; must be one of: {', '.join(ev.SPLITS)}")
    sets = _matching_sets(cases, factchecks)
    myth, fc = threshold or DEFAULT_THRESHOLD, fc_threshold or FACTCHECK_THRESHOLD
    report: dict[str, object] = {}
    if calibrate:
        # Myths on the first set (the myth cases, as before); fact-checks on every set, cross-lingual included.
        report["calibration"] = ev.calibrate(sets[0][1], sets[0][2], factcheck=fc)
        every = [c for _, cs, _ in sets for c in cs], [s for _, _, ss in sets for s in ss]
        report["calibration_factchecks"] = ev.calibrate(*every, myth=myth)
    for name, found, scores in sets:
        report[name] = ev.matching_report(found, scores, myth, split, fc)
    checks = ev.load_cases(ev.CHECKWORTHY_SET, ("text", "lang", "label", "split"))
    report["check_worthy"] = ev.checkworthy_report(checks, split)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    _print_eval(report)


def _matching_sets(cases: Path | None, factchecks: Path | None) -> list[tuple[str, list[dict[str, Any]], list[Any]]]:
    """(name, cases, each case's matches at a low threshold) of the matching sets to evaluate."""
    from models.encoders.registry import MULTILINGUAL, load_encoder
    from pipeline.jobs.factchecks import eval_matcher
    from pipeline.misinfo import evaluate as ev

    required = ("text", "lang", "expected", "split")
    encoder = load_encoder(MULTILINGUAL)
    matching = (ev.load_cases(cases, required) if cases else
                ev.load_cases(ev.MATCHING_SET, required) + ev.load_cases(ev.LEGACY_CASES, required))
    sets = [("matching", matching, factchecks or ev.SAMPLE_FACTCHECKS)]
    if cases is None and factchecks is None:
        sets.append(("crosslingual", ev.load_cases(ev.CROSSLINGUAL_SET, required), ev.CROSSLINGUAL_FACTCHECKS))
    return [(name, found, ev.matching_scores(eval_matcher(encoder, path), found)) for name, found, path in sets]


def _print_eval(report: dict[str, object]) -> None:
    """The evaluation as aligned tables."""
    for name in ("matching", "crosslingual", "check_worthy"):
        part = report.get(name)
        if not isinstance(part, dict):
            continue
        fc = f", fact-checks {part['factcheck_threshold']}" if name != "check_worthy" else ""
        typer.echo(f"{name} ({part['split']} split, threshold {part['threshold']}{fc}):")
        typer.echo(f"  {'lang':<5} {'precision':>9} {'recall':>7} {'f1':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
        for lang, row in part["languages"].items():
            typer.echo(f"  {lang:<5} {row['precision']:>9.3f} {row['recall']:>7.3f} {row['f1']:>6.3f} "
                       f"{row['tp']:>4} {row['fp']:>4} {row['fn']:>4}")
    if "calibration" in report:
        cal, fcs = report["calibration"], report["calibration_factchecks"]
        assert isinstance(cal, dict) and isinstance(fcs, dict)
        typer.echo(f"calibrated threshold on dev (best F1 with precision >= 0.9): {cal['threshold']}; "
                   f"fact-checks: {fcs['threshold']}")
    for name in ("matching", "crosslingual"):
        part = report.get(name)
        for err in part["errors"] if isinstance(part, dict) else []:
            echo_err(f"  miss/false flag {err['id']} ({err['kind']}): expected {err['expected']}, got {err['got']}")


@factchecks_app.command("liar")
def factchecks_liar(data: Path = typer.Option(..., "--data", help="LIAR folder (train.tsv, valid.tsv, test.tsv)."),
                    embeddings: bool = typer.Option(True, "--embeddings/--no-embeddings",
                                                    help="Also fit a classifier on multilingual USE embeddings."),
                    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
    """Report what a veracity classifier can do on LIAR's immigration claims (models kept in memory only)."""
    from pipeline.misinfo.liar import report

    encode = None
    if embeddings:
        from models.encoders.registry import MULTILINGUAL, load_encoder

        encode = load_encoder(MULTILINGUAL).encode
    result = report(data, encode)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    typer.echo(f"LIAR train: {result['train']} claims ({result['train_immigration']} on immigration); "
               f"majority label: {result['majority_label']}")
    for split, part in result["results"].items():
        typer.echo(f"\nimmigration claims, {split} (n={sum(part['labels'].values())}): {part['labels']}")
        typer.echo(f"  {'model':<44} {'6-way acc (95% CI)':<22} {'binary acc (95% CI)':<22}")
        for name, row in part["models"].items():
            six, two = row["six_way"], row["binary"]
            typer.echo(f"  {name:<44} {six['accuracy']:.3f} ({six['ci95'][0]:.2f}-{six['ci95'][1]:.2f})"
                       f"     {two['accuracy']:.3f} ({two['ci95'][0]:.2f}-{two['ci95'][1]:.2f})")
