"""The archive beyond one file: partitioned Parquet (year/month/outlet) and rankings computed from it."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.award.rank import OutletScore
from pipeline.core.config import Settings
from pipeline.core.errors import InputError, StoreError
from pipeline.db.archive import ARCHIVE_TABLES, export_parquet, load_archive
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs


@dataclass
class ArchiveStats:
    """What an export wrote: rows, files and bytes per table."""

    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, with bytes per row (the figure that sizes an archive)."""
        per_row = {t: round(self.bytes[t] / self.rows[t], 1) for t in self.rows if self.rows[t]}
        return {"rows": self.rows, "files": self.files, "bytes": self.bytes, "bytes_per_row": per_row}


def export(db: Database, out: Path, year: int | None = None) -> ArchiveStats:
    """Write the database (or one year of it) under `out`; the year's old partitions are replaced."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; --out must be a folder (new or an archive written before)")
    for table in ARCHIVE_TABLES:
        stale = out / table / f"year={year}" if year is not None else out / table
        shutil.rmtree(stale, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    try:
        rows = export_parquet(db, out, year)
    except OSError as exc:
        raise StoreError(f"cannot write the archive to {out}: {exc.strerror or exc}; "
                         "free some space or choose another --out") from exc
    stats = ArchiveStats(rows=rows)
    for table in ARCHIVE_TABLES:
        files = list((out / table).rglob("*.parquet"))
        stats.files[table], stats.bytes[table] = len(files), sum(f.stat().st_size for f in files)
    return stats


def rank(root: Path, year: int, settings: Settings, model_tag: str,
         rubric_version: str) -> tuple[list[OutletScore], dict[str, Any]]:
    """A year's ranking computed from an archive: the year's partitions (and the year before, for the
    most improved outlets) are loaded into a scratch DuckDB file and ranked by the same code as the
    database, so the archive can never rank differently."""
    if not (root / "outlets.parquet").is_file():
        raise InputError(f"{root}: no Parquet archive there; run 'xenowatch archive export --out {root}' first")
    with tempfile.TemporaryDirectory(prefix="xenowatch-archive-") as tmp:
        scratch = Database.open(Path(tmp) / "rank.duckdb")
        load_archive(scratch, root, [year - 1, year])
        lines, snapshot, _ = jobs.rank_year(scratch, replace(settings, db=scratch.path), year, model_tag,
                                            rubric_version)
    return lines, snapshot
