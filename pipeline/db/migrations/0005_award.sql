-- Version 5: award snapshots record what makes them auditable (verdicts used, indicators, the
-- previous year's snapshot for "most improved"), and ranking rows carry the change on last year.
ALTER TABLE ranking_snapshots ADD COLUMN details JSON;
ALTER TABLE ranking_rows ADD COLUMN change DOUBLE;
