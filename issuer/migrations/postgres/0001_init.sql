-- vpass issuer schema, PostgreSQL. Times are Unix seconds (BIGINT); keys and hashes are BYTEAs.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE root_keys (
    did            TEXT PRIMARY KEY,
    sealed_private BYTEA NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE offices (
    id               TEXT PRIMARY KEY,
    did              TEXT NOT NULL UNIQUE,
    name_kk          TEXT NOT NULL,
    name_ru          TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    region           TEXT,
    credential_types TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);

CREATE TABLE office_keys (
    kid            TEXT PRIMARY KEY,
    office_id      TEXT NOT NULL REFERENCES offices (id),
    public_jwk     TEXT NOT NULL,
    sealed_private BYTEA NOT NULL,
    valid_from     BIGINT NOT NULL,
    state          TEXT NOT NULL,
    state_at       BIGINT
);

CREATE TABLE status_lists (
    office_id   TEXT NOT NULL REFERENCES offices (id),
    list_no     BIGINT NOT NULL,
    url         TEXT NOT NULL UNIQUE,
    size        BIGINT NOT NULL,
    token       TEXT,
    valid_from  BIGINT,
    valid_until BIGINT,
    PRIMARY KEY (office_id, list_no)
);

CREATE TABLE operators (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    office_id  TEXT REFERENCES offices (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    hash        BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE credentials (
    id             TEXT PRIMARY KEY,
    office_id      TEXT NOT NULL REFERENCES offices (id),
    kind           TEXT NOT NULL,
    format         TEXT NOT NULL,
    token          TEXT NOT NULL,
    list_no        BIGINT NOT NULL,
    status_index   BIGINT NOT NULL,
    issued_at      BIGINT NOT NULL,
    issued_by      TEXT NOT NULL REFERENCES operators (id),
    revoked_at     BIGINT,
    revoked_reason TEXT,
    revoked_by     TEXT REFERENCES operators (id),
    UNIQUE (office_id, list_no, status_index)
);

CREATE TABLE idempotency (
    operator_id  TEXT NOT NULL REFERENCES operators (id),
    key          TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    status       BIGINT NOT NULL,
    body         BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (operator_id, key)
);

CREATE TABLE trust_lists (
    sequence    BIGINT PRIMARY KEY,
    token       TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    next_update BIGINT NOT NULL
);
