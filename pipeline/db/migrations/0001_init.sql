-- Xenowatch schema, version 1: sources, articles, model outputs, reviews, rankings, runs.
CREATE TABLE outlets (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    country VARCHAR,
    language VARCHAR,
    media_type VARCHAR,
    owner VARCHAR,
    website VARCHAR,
    created_at TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE feeds (
    url VARCHAR PRIMARY KEY,
    outlet_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL DEFAULT 'rss',
    etag VARCHAR,
    last_modified VARCHAR,
    last_success TIMESTAMP,
    last_error VARCHAR,
    last_error_at TIMESTAMP,
    consecutive_failures INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE articles (
    id VARCHAR PRIMARY KEY,
    url VARCHAR NOT NULL UNIQUE,
    outlet_id VARCHAR NOT NULL,
    feed_url VARCHAR,
    guid VARCHAR,
    kind VARCHAR NOT NULL,
    title VARCHAR,
    text VARCHAR,
    author VARCHAR,
    published TIMESTAMP,
    lang VARCHAR,
    extraction VARCHAR,
    content_hash VARCHAR NOT NULL,
    run_id VARCHAR,
    first_seen TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE classifications (
    article_id VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    relevance DOUBLE NOT NULL,
    gated BOOLEAN NOT NULL,
    hate BOOLEAN,
    hate_score DOUBLE,
    target VARCHAR,
    severity VARCHAR,
    evidence JSON,
    misinformation JSON,
    created_at TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (article_id, model)
);

CREATE TABLE rubric_results (
    article_id VARCHAR NOT NULL,
    rubric_version VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    criteria JSON NOT NULL,
    created_at TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (article_id, rubric_version)
);

CREATE SEQUENCE review_ids START 1;
CREATE TABLE reviews (
    id BIGINT PRIMARY KEY DEFAULT nextval('review_ids'),
    article_id VARCHAR NOT NULL,
    reviewer VARCHAR NOT NULL,
    decision VARCHAR NOT NULL,
    severity VARCHAR,
    target VARCHAR,
    note VARCHAR,
    created_at TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE ranking_snapshots (
    id VARCHAR PRIMARY KEY,
    year INTEGER NOT NULL,
    rubric_version VARCHAR NOT NULL,
    models JSON NOT NULL,
    parameters JSON NOT NULL,
    article_ids JSON NOT NULL,
    created_at TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE ranking_rows (
    snapshot_id VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    outlet_id VARCHAR NOT NULL,
    rank INTEGER,
    score DOUBLE,
    ci_low DOUBLE,
    ci_high DOUBLE,
    n_articles INTEGER NOT NULL,
    status VARCHAR NOT NULL,
    PRIMARY KEY (snapshot_id, category, outlet_id)
);

CREATE TABLE runs (
    id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    feeds_ok INTEGER DEFAULT 0,
    feeds_failed INTEGER DEFAULT 0,
    items_new INTEGER DEFAULT 0,
    items_duplicate INTEGER DEFAULT 0,
    items_rejected INTEGER DEFAULT 0,
    summary JSON
);

CREATE TABLE rejected (
    id VARCHAR PRIMARY KEY,
    run_id VARCHAR,
    stage VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    item VARCHAR,
    reason VARCHAR NOT NULL,
    created_at TIMESTAMP DEFAULT current_timestamp
);
