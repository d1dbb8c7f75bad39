//! Every ceiling on untrusted input, in one place. Checked *before* decoding, decompressing or
//! parsing, so that hostile input costs bounded time and memory.

/// Largest QR text accepted (alphanumeric capacity of a version-40-L QR code).
pub const MAX_QR_TEXT: usize = 4_296;
/// Largest raw token (SD-JWT, JWT) accepted from any source.
pub const MAX_TOKEN: usize = 64 * 1024;
/// Largest inflated envelope body.
pub const MAX_ENVELOPE_INFLATED: usize = 64 * 1024;
/// Largest JSON document (header, payload, disclosure) parsed.
pub const MAX_JSON: usize = 64 * 1024;
/// Deepest JSON nesting accepted.
pub const MAX_JSON_DEPTH: usize = 64;
/// Most disclosures in one SD-JWT.
pub const MAX_DISCLOSURES: usize = 256;
/// Deepest recursion of disclosures within disclosures.
pub const MAX_SD_DEPTH: usize = 16;
/// Most entries in each array of a passport subject (`hoursByCategory`, `skills`, `awards`).
pub const MAX_PASSPORT_ENTRIES: usize = 64;
/// Longest `kid` accepted.
pub const MAX_KID: usize = 256;
/// Largest inflated status list (bytes).
pub const MAX_STATUS_LIST_INFLATED: usize = 16 * 1024 * 1024;
/// Largest signed status-list credential (a 16 MiB list gzips to well under this).
pub const MAX_STATUS_LIST_TOKEN: usize = 32 * 1024 * 1024;
/// Largest trust list document.
pub const MAX_TRUST_LIST: usize = 1024 * 1024;
/// Allowed clock skew, seconds, for `exp`, `nbf`, `iat` and KB-JWT `iat`.
pub const CLOCK_SKEW_SECS: i64 = 300;
/// How old a KB-JWT may be, seconds.
pub const KB_MAX_AGE_SECS: i64 = 300;
/// Most columns in a CSV batch header (the widest type has 21: its subject paths and the
/// request columns).
pub const MAX_CSV_COLUMNS: usize = 32;
/// Longest CSV column name, in bytes (the longest known path,
/// `achievement.criteria.narrative`, has 30).
pub const MAX_CSV_COLUMN_NAME: usize = 64;
/// Most dot-separated names in a CSV column (`achievement.criteria.narrative`): a CSV row is
/// at most this deep plus two (the credential, its subject), far within [`MAX_JSON_DEPTH`].
pub const MAX_CSV_PATH_SEGMENTS: usize = 3;
/// Largest CSV data row, in bytes: the size of one issuance request ([`MAX_JSON`]).
pub const MAX_CSV_ROW: usize = MAX_JSON;
/// Longest path parameter or query value of a request (`{id}`, `{office}`, `volunteer=`,
/// `name=`), in characters.
pub const MAX_REQUEST_ID: usize = 256;

const _: () = assert!(MAX_CSV_PATH_SEGMENTS + 2 <= MAX_JSON_DEPTH);
/// Most root rotations a trust store follows (links of the root chain, each a trust list).
pub const MAX_ROOT_CHAIN: usize = 64;
/// Most status lists one `vpass trust sync` fetches.
pub const MAX_SYNC_STATUS_LISTS: usize = 1_000;
/// Most bytes of status lists one `vpass trust sync` downloads in all.
pub const MAX_SYNC_BYTES: usize = 256 * 1024 * 1024;
