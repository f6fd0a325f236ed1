-- Version 8: a reviewer's corrected evidence span, stored with the decision (a JSON list of
-- {start, end, text, field, label} like classifications.evidence; NULL when the reviewer kept the model's).
ALTER TABLE reviews ADD COLUMN evidence JSON;
