-- Version 10: ranking rows say what the data supports: the ranks an outlet's 95 % interval allows
-- (rank_low..rank_high), its share of bootstrap resamples in which it comes first, and for the most
-- improved the 95 % interval of the change.
ALTER TABLE ranking_rows ADD COLUMN rank_low INTEGER;
ALTER TABLE ranking_rows ADD COLUMN rank_high INTEGER;
ALTER TABLE ranking_rows ADD COLUMN p_first DOUBLE;
ALTER TABLE ranking_rows ADD COLUMN change_low DOUBLE;
ALTER TABLE ranking_rows ADD COLUMN change_high DOUBLE;
