-- Operations: status-list fill counts (a new list opens at 90 %), a change counter that makes
-- the trust list re-sign after key rotations and new lists, rate-limit windows, and an index
-- for purging old idempotency records.
ALTER TABLE status_lists ADD COLUMN used INTEGER NOT NULL DEFAULT 0;
UPDATE status_lists SET used = (
    SELECT COUNT(*) FROM credentials c
    WHERE c.office_id = status_lists.office_id AND c.list_no = status_lists.list_no
);

CREATE TABLE trust_list_changes (
    id         INTEGER PRIMARY KEY,
    generation INTEGER NOT NULL
);
INSERT INTO trust_list_changes (id, generation) VALUES (1, 0);
ALTER TABLE trust_lists ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;

CREATE TABLE rate_limits (
    bucket       TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE INDEX idempotency_created_at ON idempotency (created_at);
