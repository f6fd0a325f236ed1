"""The Parquet archive: tables written partitioned by year, month and outlet, and read back."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.db._rows import count
from pipeline.db.database import Database

# Archive tables and the column that links each to its article (its partition comes from the article).
ARCHIVE_TABLES = {"articles": "id", "classifications": "article_id", "rubric_results": "article_id",
                  "reviews": "article_id"}
_PARTITION_COLUMNS = ("year(coalesce(a.published, a.first_seen)) AS year, "
                      "month(coalesce(a.published, a.first_seen)) AS month")
_HIVE_TYPES = "{'year': INTEGER, 'month': INTEGER, 'outlet_id': VARCHAR}"


def _quote(path: Path) -> str:
    """A path as an SQL string literal (COPY and read_parquet take no parameters for it)."""
    return "'" + str(path).replace("'", "''") + "'"


def _archive(root: Path, table: str) -> str:
    """A partitioned table of a Parquet archive, read with its partition columns."""
    return (f"read_parquet({_quote(root / table / '**' / '*.parquet')}, hive_partitioning = true, "
            f"hive_types = {_HIVE_TYPES})")


def export_parquet(db: Database, out: Path, year: int | None = None) -> dict[str, int]:
    """Articles, classifications and rubric results as Parquet partitioned by year, month and outlet
    (one COPY per table, with the archive's layout in ARCHIVE_TABLES), and the outlets in one file;
    rows written per table."""
    where = "" if year is None else f"WHERE p.year = {int(year)}"
    written: dict[str, int] = {}
    with db.connect() as con:
        for table, key in ARCHIVE_TABLES.items():
            src = (f"SELECT a.*, {_PARTITION_COLUMNS} FROM articles a" if table == "articles" else
                   f"SELECT t.*, {_PARTITION_COLUMNS}, a.outlet_id FROM {table} t "
                   f"JOIN articles a ON a.id = t.{key}")
            sql = (f"COPY (SELECT * FROM ({src}) p {where}) TO {_quote(out / table)} (FORMAT parquet, "
                   "COMPRESSION zstd, PARTITION_BY (year, month, outlet_id), OVERWRITE_OR_IGNORE)")
            written[table] = int(con.execute(sql).fetchall()[0][0])
        con.execute(f"COPY (SELECT * FROM outlets ORDER BY id) TO {_quote(out / 'outlets.parquet')} "
                    "(FORMAT parquet)").fetchall()
    return written


def load_archive(db: Database, root: Path, years: Sequence[int]) -> dict[str, int]:
    """Fill this new, migrated database with the outlets and the rows of a Parquet archive that a
    ranking of `years` reads: scored articles, their results and reviews (only those years'
    partitions are read, and article texts of unscored news never leave the files); rows per table."""
    loaded: dict[str, int] = {}
    present = [t for t in ARCHIVE_TABLES if any((root / t).rglob("*.parquet"))]
    scored = f"(SELECT article_id FROM {_archive(root, 'rubric_results')} WHERE year IN (SELECT unnest($1)))"
    with db.transaction() as con:
        for table in ("outlets", *(present if "rubric_results" in present else [])):
            cols = ", ".join(r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall())
            src = (f"read_parquet({_quote(root / 'outlets.parquet')})" if table == "outlets" else
                   f"(SELECT * FROM {_archive(root, table)} WHERE year IN (SELECT unnest($1)) "
                   f"AND {ARCHIVE_TABLES[table]} IN {scored})")
            before = count(con, table)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {src}",
                        [] if table == "outlets" else [list(years)])
            loaded[table] = count(con, table) - before
    return loaded
