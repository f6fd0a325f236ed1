-- Version 2: near-duplicate clusters (MinHash LSH) for syndicated copy, and GUID lookups.
ALTER TABLE articles ADD COLUMN cluster_id VARCHAR;
UPDATE articles SET cluster_id = id WHERE cluster_id IS NULL;

CREATE TABLE article_signatures (
    article_id VARCHAR PRIMARY KEY,
    signature BLOB NOT NULL
);

CREATE INDEX articles_feed_guid ON articles (feed_url, guid);
