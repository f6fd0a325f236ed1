-- Version 7 (issue 15): check-worthy sentences stored with each classification; monitors' requests to
-- fact-check one; and, per imported fact-check, when it was re-matched against the stored articles
-- (NULL: not yet, so the next `factchecks import` matches it against articles classified before it).
ALTER TABLE classifications ADD COLUMN check_worthy JSON;
ALTER TABLE factchecks ADD COLUMN rematched_at TIMESTAMP;

CREATE TABLE factcheck_requests (
    op_id VARCHAR PRIMARY KEY,
    article_id VARCHAR NOT NULL,
    sentence VARCHAR NOT NULL,
    span_start INTEGER,
    span_end INTEGER,
    requested_by VARCHAR NOT NULL,
    requested_at TIMESTAMP NOT NULL
);
