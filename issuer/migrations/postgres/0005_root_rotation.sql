-- Root rotation (`vpass admin rotate-root`): each rotation list, signed by the root it
-- replaces and naming the next one (`nextRoot`), kept for verifiers that missed it
-- (`GET /trust-list/chain`, oldest first). The new root itself goes into root_keys.
CREATE TABLE root_rotations (
    sequence   BIGINT PRIMARY KEY,
    token      TEXT NOT NULL,
    old_did    TEXT NOT NULL,
    new_did    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
