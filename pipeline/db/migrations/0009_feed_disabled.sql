-- Version 9 (issue 17): a feed can be disabled (`xenowatch sources disable`): ingest and run skip it, its
-- stored articles stay. NULL: enabled; otherwise when it was disabled.
ALTER TABLE feeds ADD COLUMN disabled_at TIMESTAMP;
