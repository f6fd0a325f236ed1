-- Version 3: the review workbench: accounts, assignments, double review and an audit log.
CREATE TABLE users (
    name VARCHAR PRIMARY KEY,
    role VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMP DEFAULT current_timestamp
);

CREATE TABLE assignments (
    article_id VARCHAR NOT NULL,
    reviewer VARCHAR NOT NULL,
    assigned_by VARCHAR NOT NULL,
    assigned_at TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (article_id, reviewer)
);

CREATE SEQUENCE audit_ids START 1;
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY DEFAULT nextval('audit_ids'),
    op_id VARCHAR,
    created_at TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    article_id VARCHAR,
    detail JSON
);

-- round 1: an independent review; round 2: a lead's adjudication. final: the row settles the verdict.
-- op_id: the decision's id, so that a decision replayed from the landing file is stored once.
ALTER TABLE reviews ADD COLUMN round INTEGER DEFAULT 1;
ALTER TABLE reviews ADD COLUMN final BOOLEAN DEFAULT false;
ALTER TABLE reviews ADD COLUMN op_id VARCHAR;
