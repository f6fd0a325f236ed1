-- Version 4: imported fact-checks (issue 7), matched alongside the bundled myth library.
-- The embedding is cached per encoder (name@version) and recomputed when the encoder changes.
CREATE TABLE factchecks (
    id VARCHAR PRIMARY KEY,          -- sha1 of review URL + normalised claim
    claim VARCHAR NOT NULL,
    rating VARCHAR NOT NULL,
    publisher VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    lang VARCHAR,
    reviewed VARCHAR,                -- the review date as the publisher wrote it
    matchable BOOLEAN NOT NULL,
    note VARCHAR NOT NULL DEFAULT '',
    source_file VARCHAR,
    imported_at TIMESTAMP DEFAULT current_timestamp,
    encoder VARCHAR,
    embedding BLOB
);
