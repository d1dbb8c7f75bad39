-- vpass issuer schema, SQLite. Times are Unix seconds (INTEGER); keys and hashes are BLOBs.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE root_keys (
    did            TEXT PRIMARY KEY,
    sealed_private BLOB NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE offices (
    id               TEXT PRIMARY KEY,
    did              TEXT NOT NULL UNIQUE,
    name_kk          TEXT NOT NULL,
    name_ru          TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    region           TEXT,
    credential_types TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE office_keys (
    kid            TEXT PRIMARY KEY,
    office_id      TEXT NOT NULL REFERENCES offices (id),
    public_jwk     TEXT NOT NULL,
    sealed_private BLOB NOT NULL,
    valid_from     INTEGER NOT NULL,
    state          TEXT NOT NULL,
    state_at       INTEGER
);

CREATE TABLE status_lists (
    office_id   TEXT NOT NULL REFERENCES offices (id),
    list_no     INTEGER NOT NULL,
    url         TEXT NOT NULL UNIQUE,
    size        INTEGER NOT NULL,
    token       TEXT,
    valid_from  INTEGER,
    valid_until INTEGER,
    PRIMARY KEY (office_id, list_no)
);

CREATE TABLE operators (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    office_id  TEXT REFERENCES offices (id),
    created_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    hash        BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE credentials (
    id             TEXT PRIMARY KEY,
    office_id      TEXT NOT NULL REFERENCES offices (id),
    kind           TEXT NOT NULL,
    format         TEXT NOT NULL,
    token          TEXT NOT NULL,
    list_no        INTEGER NOT NULL,
    status_index   INTEGER NOT NULL,
    issued_at      INTEGER NOT NULL,
    issued_by      TEXT NOT NULL REFERENCES operators (id),
    revoked_at     INTEGER,
    revoked_reason TEXT,
    revoked_by     TEXT REFERENCES operators (id),
    UNIQUE (office_id, list_no, status_index)
);

CREATE TABLE idempotency (
    operator_id  TEXT NOT NULL REFERENCES operators (id),
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status       INTEGER NOT NULL,
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (operator_id, key)
);

CREATE TABLE trust_lists (
    sequence    INTEGER PRIMARY KEY,
    token       TEXT NOT NULL,
    issued_at   INTEGER NOT NULL,
    next_update INTEGER NOT NULL
);
