//! Storage: one [`Store`] trait, implemented for SQLite ([`SqliteStore`], the default, one file
//! in the data folder) and PostgreSQL ([`PgStore`]).
//!
//! Both implementations are generated from the same method bodies (`sql.rs`): the SQL uses
//! `$N` placeholders, TEXT, 64-bit integers (Unix seconds) and byte strings, which both
//! backends read the same way through sqlx's runtime `query`/`query_as` (no compile-time
//! macros, so no `.sqlx` folder and no database at build time). The DDL differs (BLOB vs
//! BYTEA, INTEGER vs BIGINT), hence one migration folder per backend under `migrations/`.
//!
//! **Atomicity.** Every write is one transaction, including its idempotency record: a request
//! either leaves everything (credential, status-list index, idempotency answer) or nothing.
//! SQLite write transactions start with `BEGIN IMMEDIATE`, which takes the write lock at once
//! so that a read-then-write transaction never fails with `SQLITE_BUSY_SNAPSHOT` (see
//! `shared/notes/crates-measured.md` §10). Status-list indices are unique per office and list
//! (a `UNIQUE` constraint); a random index that is taken is retried with another one.
//!
//! **Status-list rollover.** Each list counts its used indices (`status_lists.used`, updated
//! in the issuing transaction). An office issues into its highest-numbered list until that
//! list is [`LIST_FILL_PERCENT`] % used; the next issuance then opens list `n + 1` (same
//! size) in the same transaction. Stopping at 90 % keeps random draws cheap (at most one in
//! ten is taken) and indices spread over the whole list; should [`INDEX_ATTEMPTS`] draws
//! all hit taken indices anyway, one index is drawn uniformly from the free ones
//! ([`nth_free`]). On PostgreSQL the current list's row is locked (`FOR UPDATE`) and the new
//! row is inserted with `ON CONFLICT DO NOTHING`, so two instances filling a list at once
//! open it once and both carry on in it.
//!
//! **Signing key.** The office's active key is read inside every issuing and publishing
//! transaction (`FOR SHARE` on PostgreSQL; a rotation takes `FOR UPDATE`), so a rotation made
//! by another instance or by `vpass admin rotate-key` takes effect on the next request, and
//! no credential signed with the old key commits after the rotation did.

mod sql;

use async_trait::async_trait;

use vpass_credential::issue::Format;
use vpass_credential::model::CredentialKind;
use vpass_credential::time::UnixTime;

use crate::audit::{AuditEntry, AuditRow};
use crate::types::{KeyState, Role};
use crate::volunteers::{HoursCaps, Refusal};

pub use sql::{PgStore, SqliteStore};

/// How many random status-list indices are tried before one is drawn from the free ones.
pub const INDEX_ATTEMPTS: usize = 64;
/// Length of a rate-limit window in seconds (fixed windows starting at multiples of it).
pub const RATE_WINDOW: i64 = 60;

/// A status list takes new credentials until this share (per cent) of it is used; then the
/// office's next list opens.
pub const LIST_FILL_PERCENT: i64 = 90;

/// How many entries of a list of `size` may be used before the next list opens.
pub fn list_capacity(size: i64) -> i64 {
    size.saturating_mul(LIST_FILL_PERCENT) / 100
}

/// The `k`-th (from 0) index not in `taken` (sorted ascending, distinct).
pub fn nth_free(taken: &[u64], k: u64) -> u64 {
    let mut index = k;
    for &t in taken {
        if t <= index {
            index += 1;
        } else {
            break;
        }
    }
    index
}

/// Whether a list of `size` with `used` entries takes `need` more before the next list opens
/// (at most [`list_capacity`]).
pub fn has_room(used: i64, size: i64, need: i64) -> bool {
    used.saturating_add(need) <= list_capacity(size)
}

/// A uniform random integer in `0..bound`: the OS's ([`crate::crypto::random_below`]) in the
/// service, scripted in tests.
pub type Below<'a> = &'a (dyn Fn(u64) -> u64 + Send + Sync);

/// The draw of a status index in a list of `size`: random draws while
/// [`IndexDraw::random_allowed`], then one uniform pick among the free indices.
#[derive(Clone, Copy)]
pub struct IndexDraw<'a> {
    size: u64,
    below: Below<'a>,
}

impl<'a> IndexDraw<'a> {
    /// Draws in a list of `size` (as stored) with the random source `below`.
    pub fn new(size: i64, below: Below<'a>) -> Result<IndexDraw<'a>, StoreError> {
        let size = u64::try_from(size).map_err(|_| StoreError::Corrupt("status_lists.size"))?;
        Ok(IndexDraw { size, below })
    }

    /// Whether draw number `attempt` (from 0) of one credential may still be random: the
    /// first [`INDEX_ATTEMPTS`] are, after that the index is picked among the free ones.
    pub fn random_allowed(attempt: usize) -> bool {
        attempt < INDEX_ATTEMPTS
    }

    /// A random index of the list, taken or not.
    pub fn random(&self) -> u64 {
        (self.below)(self.size)
    }

    /// A uniform pick among the indices not in `taken` (sorted ascending, distinct); `None`
    /// when every index is taken.
    pub fn free(&self, taken: &[u64]) -> Option<u64> {
        let free = self
            .size
            .checked_sub(taken.len() as u64)
            .filter(|f| *f > 0)?;
        Some(nth_free(taken, (self.below)(free)))
    }
}

/// Storage failures. Domain outcomes (not found, already revoked, idempotency conflicts) are
/// variants here so that the HTTP layer maps them to problems in one place.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed (connection, constraint, I/O).
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrating the schema failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data is not what this version writes.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(&'static str),
    /// No such record (or not visible to the caller).
    #[error("not found")]
    NotFound,
    /// The credential is already revoked.
    #[error("already revoked")]
    AlreadyRevoked,
    /// The idempotency key was used before with another request body.
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    /// A concurrent request with the same idempotency key committed first.
    #[error("idempotency key in use by a concurrent request")]
    IdempotencyInUse,
    /// No free status-list index was found.
    #[error("the status list is full")]
    StatusListFull,
    /// Signing or publishing inside the transaction failed.
    #[error("signing: {0}")]
    Signing(String),
    /// The operator is over the rate limit; retry after this many seconds.
    #[error("rate limited; retry after {retry_after} s")]
    RateLimited {
        /// Seconds until the window ends.
        retry_after: i64,
    },
    /// A value in the request is not acceptable here (the named field).
    #[error("{field}: {reason}")]
    Invalid {
        /// The request field at fault.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A volunteer with this IIN is registered already (its id).
    #[error("a volunteer with this IIN is registered already: {0}")]
    VolunteerExists(String),
    /// A plausibility check refused the credential.
    #[error("refused: {}", .0.code)]
    Refused(Refusal),
}

/// Result alias for storage.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeRow {
    /// Short id used in URLs (`national`, `kz-75`).
    pub id: String,
    /// Its `did:web`.
    pub did: String,
    /// Name in Kazakh.
    pub name_kk: String,
    /// Name in Russian.
    pub name_ru: String,
    /// Name in English.
    pub name_en: String,
    /// ISO 3166-2:KZ region, `None` for the national office.
    pub region: Option<String>,
    /// Credential types it may issue.
    pub credential_types: Vec<CredentialKind>,
}

/// An office signing key (private half sealed under the KEK).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// `<office did>#<name>`.
    pub kid: String,
    /// The office.
    pub office_id: String,
    /// The public JWK, JSON text.
    pub public_jwk: String,
    /// The sealed private JWK.
    pub sealed_private: Vec<u8>,
    /// Start of validity.
    pub valid_from: UnixTime,
    /// Active, retired or compromised (stored as `state` and `state_at`).
    pub state: KeyState,
}

/// A status list of an office and its latest signed credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListRow {
    /// The office.
    pub office_id: String,
    /// Its number within the office (from 1).
    pub list_no: i64,
    /// The URL credentials name in `statusListCredential`.
    pub url: String,
    /// Number of entries.
    pub size: i64,
    /// The latest signed status-list credential.
    pub token: Option<String>,
    /// Its `validFrom`.
    pub valid_from: Option<UnixTime>,
    /// Its `validUntil`.
    pub valid_until: Option<UnixTime>,
    /// How many of its indices are taken.
    pub used: i64,
}

/// The signing key an office uses now, as read inside a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveKey {
    /// Its kid.
    pub kid: String,
    /// The sealed private JWK.
    pub sealed_private: Vec<u8>,
}

/// Where a credential is being placed: key and status list chosen inside the transaction.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    /// The office's active key.
    pub key: &'a ActiveKey,
    /// The status list number.
    pub list_no: i64,
    /// Its URL (`statusListCredential`).
    pub list_url: &'a str,
    /// The status index.
    pub index: u64,
}

/// A key rotation.
#[derive(Debug, Clone)]
pub struct Rotation<'a> {
    /// The office.
    pub office_id: &'a str,
    /// Mark the old key compromised (else retired).
    pub compromised: bool,
    /// For a compromised key: since when (default `now`).
    pub since: Option<i64>,
    /// Now.
    pub now: i64,
}

/// A rate-limit window's counter after one more hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateCount {
    /// Requests in the window, this one included.
    pub count: i64,
}

/// A signed trust list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustListRow {
    /// Its sequence number.
    pub sequence: i64,
    /// The compact JWS.
    pub token: String,
    /// When it was signed.
    pub issued_at: UnixTime,
    /// When the next one is due.
    pub next_update: UnixTime,
}

/// An API token with its operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// SHA-256 of the token.
    pub hash: Vec<u8>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
    /// The operator's id.
    pub operator_id: String,
    /// The operator's name.
    pub operator_name: String,
    /// Its role, an officer's with its office (stored as `role` and `office_id`).
    pub role: Role,
}

/// A stored credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    /// Its id (a UUID).
    pub id: String,
    /// The issuing office.
    pub office_id: String,
    /// The credential type.
    pub kind: CredentialKind,
    /// Its format.
    pub format: Format,
    /// The issued token.
    pub token: String,
    /// The status list number.
    pub list_no: i64,
    /// The status-list index.
    pub status_index: i64,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// The operator who issued it.
    pub issued_by: String,
    /// When it was revoked.
    pub revoked_at: Option<UnixTime>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
}

/// Everything the first start writes, in one transaction.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// Settings (`public_url`, ...).
    pub settings: Vec<(String, String)>,
    /// The root key's did:key.
    pub root_did: String,
    /// The sealed root private key.
    pub root_sealed: Vec<u8>,
    /// The offices: national first, then the regional ones.
    pub offices: Vec<OfficeSeed>,
    /// The first admin: (operator id, name).
    pub admin: (String, String),
    /// The admin's token: (token id, hash).
    pub admin_token: (String, Vec<u8>),
    /// The audit entry of the bootstrap.
    pub audit: AuditEntry,
    /// Now.
    pub now: i64,
}

/// An office to create, with its first key and status list.
#[derive(Debug, Clone)]
pub struct OfficeSeed {
    /// The office.
    pub office: OfficeRow,
    /// Its first key.
    pub key: KeyRow,
    /// Its first status list (unsigned yet).
    pub status_list: StatusListRow,
}

/// An operator to create, with a first API token.
#[derive(Debug, Clone)]
pub struct NewOperator {
    /// Operator id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its role, an officer's with its office.
    pub role: Role,
    /// Token id.
    pub token_id: String,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// Now.
    pub now: i64,
}

/// The idempotency scope of a write: operator, key and the hash of the request.
#[derive(Debug, Clone, Copy)]
pub struct Idem<'a> {
    /// The operator making the request.
    pub operator_id: &'a str,
    /// The `Idempotency-Key` header.
    pub key: &'a str,
    /// HMAC-SHA256 (key derived from the KEK) of the method, path and body.
    pub request_hash: &'a [u8],
}

/// What a write answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Done now; the body to send (status as the caller decided).
    Fresh(Vec<u8>),
    /// Done before under the same idempotency key: the stored status and body.
    Replayed {
        /// HTTP status of the first answer.
        status: u16,
        /// Its body, byte for byte.
        body: Vec<u8>,
    },
}

/// A credential about to be issued (the token comes from the signing callback).
#[derive(Debug, Clone)]
pub struct NewCredential<'a> {
    /// Its id.
    pub id: &'a str,
    /// The office.
    pub office_id: &'a str,
    /// Type.
    pub kind: CredentialKind,
    /// Format.
    pub format: Format,
    /// Now.
    pub issued_at: UnixTime,
    /// Operator id.
    pub issued_by: &'a str,
    /// HTTP status stored with the answer.
    pub status: u16,
}

/// A signed document with its validity: `(token, from, until)`.
pub type Signed = (String, UnixTime, UnixTime);
/// Signs a status list with the office's active key given the revoked indices:
/// `(token, valid_from, valid_until)`. The row is the list as read under its row lock; its
/// `valid_from` (the previous publication's) must be exceeded by the new one.
pub type PublishFn<'a> =
    dyn Fn(&ActiveKey, &StatusListRow, &[u64]) -> Result<Signed> + Send + Sync + 'a;
/// Signs a trust list of a sequence number from the offices, keys and lists:
/// `(token, issued_at, next_update)`.
pub type TrustFn<'a> =
    dyn Fn(i64, &[OfficeRow], &[KeyRow], &[StatusListRow]) -> Result<Signed> + Send + Sync + 'a;
/// Makes an office's next key: given its number (2 for `#key-2`), the new row (private key
/// sealed).
pub type NewKeyFn<'a> = dyn Fn(i64) -> Result<KeyRow> + Send + Sync + 'a;
/// Builds the answer to a rotation from the old key (as updated) and the new one.
pub type RotateRespondFn<'a> = dyn Fn(&KeyRow, &KeyRow) -> Vec<u8> + Send + Sync + 'a;
/// Builds the answer to a revocation from the updated row.
pub type RespondFn<'a> = dyn Fn(&CredentialRow) -> Vec<u8> + Send + Sync + 'a;

/// A revocation request.
#[derive(Debug, Clone)]
pub struct Revocation<'a> {
    /// The credential id.
    pub id: &'a str,
    /// Only credentials of this office (officers), or any (`None`).
    pub scope: Option<&'a str>,
    /// Why.
    pub reason: &'a str,
    /// Operator id.
    pub by: &'a str,
    /// Now.
    pub now: i64,
}

/// A volunteer in the register. The IIN is held only sealed (`iin_sealed`, under the KEK with
/// the volunteer id as associated data) and as a keyed blind index (`iin_index`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerRow {
    /// Its id (a UUID).
    pub id: String,
    /// HMAC-SHA256 of the IIN under the blind-index key.
    pub iin_index: Vec<u8>,
    /// The sealed IIN.
    pub iin_sealed: Vec<u8>,
    /// Name in Kazakh spelling.
    pub name_kk: Option<String>,
    /// Name in Russian spelling.
    pub name_ru: Option<String>,
    /// Name in English spelling.
    pub name_en: Option<String>,
    /// The spellings normalised for search, one per line.
    pub name_search: String,
    /// Birth date `YYYY-MM-DD`.
    pub birth_date: String,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// ISO 3166-2:KZ region.
    pub region: Option<String>,
    /// When it was registered.
    pub created_at: UnixTime,
    /// The operator who registered it.
    pub created_by: String,
}

/// Which volunteer a new credential belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolunteerLink {
    /// A registered volunteer (its id).
    Existing(String),
    /// Register this one first, unless its IIN is registered by then (then link to that one).
    Register(Box<VolunteerRow>),
}

/// The hours facts of a new hours credential.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHours {
    /// Hours.
    pub hours: f64,
    /// Category name, if given.
    pub category: Option<String>,
    /// First day `YYYY-MM-DD`.
    pub period_start: String,
    /// Last day `YYYY-MM-DD`.
    pub period_end: String,
    /// The event key (`volunteers::event_key`).
    pub event_key: String,
}

/// What is stored beside a new credential for the checks, the list and the passport.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewFacts {
    /// The volunteer, if linked.
    pub volunteer: Option<VolunteerLink>,
    /// Hours facts (hours credentials).
    pub hours: Option<NewHours>,
    /// The skill or award entry as a passport writes it (JSON text).
    pub entry: Option<String>,
    /// The request confirmed a duplicate event.
    pub confirm_duplicate: bool,
}

/// The volunteer a credential was linked to: (id, registered by this request).
pub type Linked = (String, bool);

/// A batch item placed: its status index and list, token and volunteer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// Status-list index.
    pub index: u64,
    /// Its status list URL (a batch may carry on in the office's next list).
    pub list_url: String,
    /// The token as issued.
    pub token: String,
    /// The volunteer it was linked to.
    pub volunteer: Option<Linked>,
}

/// Signs a credential for its placement (the office's active key, status list and index
/// chosen in the transaction) once its volunteer is known: `(stored token, response body)`.
pub type SignFn<'a> =
    dyn Fn(&Placement<'_>, Option<&Linked>) -> Result<(String, Vec<u8>)> + Send + Sync + 'a;
/// Signs batch item `i` for its placement: `(stored token, token)`.
pub type BatchSignFn<'a> =
    dyn Fn(usize, &Placement<'_>) -> Result<(String, String)> + Send + Sync + 'a;
/// Builds a batch's answer from each item's outcome.
pub type BatchRespondFn<'a> =
    dyn Fn(&[std::result::Result<Placed, Refusal>]) -> Vec<u8> + Send + Sync + 'a;

/// Which credentials a listing wants (all conditions together).
#[derive(Debug, Clone, Default)]
pub struct CredentialFilter<'a> {
    /// Of this office.
    pub office: Option<&'a str>,
    /// Of this type.
    pub kind: Option<CredentialKind>,
    /// Linked to this volunteer.
    pub volunteer: Option<&'a str>,
    /// Revoked (`Some(true)`) or active (`Some(false)`).
    pub revoked: Option<bool>,
    /// Issued at or after (Unix seconds).
    pub issued_after: Option<i64>,
    /// Issued before (Unix seconds).
    pub issued_before: Option<i64>,
    /// Keyset cursor: strictly after this `(issued_at, id)` in newest-first order.
    pub after: Option<(i64, &'a str)>,
    /// At most this many.
    pub limit: i64,
}

/// A credential's stored facts as the passport reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct FactRow {
    /// The credential id.
    pub credential_id: String,
    /// Its type.
    pub kind: CredentialKind,
    /// Its office.
    pub office_id: String,
    /// Hours.
    pub hours: Option<f64>,
    /// Category.
    pub category: Option<String>,
    /// Last day of the period.
    pub period_end: Option<String>,
    /// Skill or award entry (JSON text).
    pub entry: Option<String>,
}

/// How much of one database connection pool is in use (the metrics' pool gauges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// Which pool: `main`, or SQLite's `read` and `write`.
    pub pool: &'static str,
    /// Connections lent out now.
    pub in_use: u32,
    /// Connections open and idle.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

/// The issuer's storage.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Create or upgrade the schema.
    async fn migrate(&self) -> Result<()>;
    /// The connection pools' use now (nothing is asked of the database).
    fn pool_use(&self) -> Vec<PoolUse> {
        Vec::new()
    }
    /// A setting, if set.
    async fn setting(&self, name: &str) -> Result<Option<String>>;
    /// Write the first-start records (fails if they exist).
    async fn bootstrap(&self, b: &Bootstrap) -> Result<()>;
    /// Create an operator with a first token.
    async fn add_operator(&self, op: &NewOperator, audit: &AuditEntry) -> Result<()>;
    /// Revoke an API token; `false` if there is no such token or it was already revoked.
    async fn revoke_token(&self, token_id: &str, audit: &AuditEntry) -> Result<bool>;
    /// Audit entries with `seq` > `after`, at most `limit`, in order.
    async fn audit_entries(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>>;
    /// The audit chain's head: (last seq, its hash).
    async fn audit_head(&self) -> Result<(i64, Vec<u8>)>;
    /// The root key: (did:key, sealed private key).
    async fn root_key(&self) -> Result<Option<(String, Vec<u8>)>>;
    /// All offices.
    async fn offices(&self) -> Result<Vec<OfficeRow>>;
    /// All office keys.
    async fn office_keys(&self) -> Result<Vec<KeyRow>>;
    /// All status lists.
    async fn status_lists(&self) -> Result<Vec<StatusListRow>>;
    /// An API token by id.
    async fn token(&self, token_id: &str) -> Result<Option<TokenRow>>;
    /// A credential by id.
    async fn credential(&self, id: &str) -> Result<Option<CredentialRow>>;
    /// Number of credentials stored (all offices).
    async fn credential_count(&self) -> Result<i64>;
    /// Revoke and re-sign the office's status list — one transaction. The audit entry's
    /// office is taken from the credential.
    async fn revoke(
        &self,
        idem: &Idem<'_>,
        rev: &Revocation<'_>,
        publish: &PublishFn<'_>,
        respond: &RespondFn<'_>,
        audit: &AuditEntry,
    ) -> Result<Answer>;
    /// The status list, re-signed first if it was never signed or was signed before
    /// `stale_before`.
    async fn fresh_status_list(
        &self,
        office_id: &str,
        list_no: i64,
        stale_before: i64,
        publish: &PublishFn<'_>,
    ) -> Result<StatusListRow>;
    /// Retire (or mark compromised) the office's active key and add a new one — one
    /// transaction with its idempotency record (if any) and audit entry (whose subject and
    /// detail the store fills in). Retirement is at `now`, or later if a credential of the
    /// office was issued at or after `now` (so that everything the old key signed stays
    /// valid); the office's status lists are re-signed with the new key on their next fetch
    /// and the trust list is marked for re-signing.
    async fn rotate_key(
        &self,
        idem: Option<&Idem<'_>>,
        rotation: &Rotation<'_>,
        new_key: &NewKeyFn<'_>,
        respond: &RotateRespondFn<'_>,
        audit: &AuditEntry,
    ) -> Result<Answer>;
    /// Set the per-operator limit that write transactions (issue, batch, revoke, key
    /// rotation) count against inside the transaction (0: no limit). The HTTP layer only
    /// checks the count before those routes ([`Store::rate_count`]) and counts them again
    /// once refused (their transaction rolled the count back), so an accepted write costs no
    /// extra transaction.
    fn set_rate_limit(&self, per_minute: u32);
    /// Count one request in `bucket`'s window starting at `window_start`.
    async fn rate_hit(&self, bucket: &str, window_start: i64) -> Result<RateCount>;
    /// The requests counted so far in `bucket`'s window starting at `window_start` (a read:
    /// writes check it before they start, and count themselves in their transaction).
    async fn rate_count(&self, bucket: &str, window_start: i64) -> Result<RateCount>;
    /// Delete idempotency records created before `idempotency_before` and rate-limit windows
    /// that started before `rate_before`: (records, windows) deleted.
    async fn purge(&self, idempotency_before: i64, rate_before: i64) -> Result<(u64, u64)>;
    /// The latest trust list, re-signed under the next sequence number first if there is none,
    /// if `force`, if keys or status lists changed since it was signed, or if it is due before
    /// `due_before`.
    async fn fresh_trust_list(
        &self,
        force: bool,
        due_before: i64,
        build: &TrustFn<'_>,
    ) -> Result<TrustListRow>;
    /// Register a volunteer (its answer stored under the idempotency key; the write counted
    /// against the operator's rate limit) — one transaction; [`StoreError::VolunteerExists`]
    /// if the IIN's blind index is taken.
    async fn register_volunteer(
        &self,
        idem: &Idem<'_>,
        v: &VolunteerRow,
        body: &[u8],
        audit: &AuditEntry,
    ) -> Result<Answer>;
    /// A volunteer by id.
    async fn volunteer(&self, id: &str) -> Result<Option<VolunteerRow>>;
    /// A volunteer by the blind index of its IIN.
    async fn volunteer_by_iin_index(&self, index: &[u8]) -> Result<Option<VolunteerRow>>;
    /// The volunteers of these blind indices (those registered; any order).
    async fn volunteers_by_iin_indices(&self, indices: &[Vec<u8>]) -> Result<Vec<VolunteerRow>>;
    /// Volunteers whose normalised names contain `needle` (already normalised), by id, after
    /// the id `after`, at most `limit`; with `office`, only those in that office's part of the
    /// register (see [`Store::volunteer_in_office`]).
    async fn find_volunteers(
        &self,
        needle: &str,
        office: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<VolunteerRow>>;
    /// Append one audit entry on its own (reads worth recording).
    async fn append_audit(&self, audit: &AuditEntry) -> Result<()>;
    /// Issue one credential with its facts — one transaction: the operator's write counted
    /// against its rate limit ([`StoreError::RateLimited`]), idempotency check, volunteer
    /// linked (registered if need be, row-locked), plausibility checks against the volunteer's
    /// stored hours (a refused check is [`StoreError::Refused`]), the office's active key read,
    /// a random free index of its current status list (the next list opened past
    /// [`list_capacity`]), sign with that key, store.
    async fn issue_linked(
        &self,
        idem: &Idem<'_>,
        new: &NewCredential<'_>,
        facts: &NewFacts,
        caps: &HoursCaps,
        sign: &SignFn<'_>,
        audit: &AuditEntry,
    ) -> Result<Answer>;
    /// [`Store::issue_linked`] for many (one rate-limit count): items a check refuses are
    /// skipped (their refusal goes to `respond`), the others issued, carrying on in the
    /// office's next status list when one fills — one transaction.
    #[allow(clippy::too_many_arguments)]
    async fn issue_batch_linked(
        &self,
        idem: &Idem<'_>,
        items: &[NewCredential<'_>],
        facts: &[NewFacts],
        caps: &HoursCaps,
        audits: &[AuditEntry],
        sign: &BatchSignFn<'_>,
        respond: &BatchRespondFn<'_>,
    ) -> Result<Answer>;
    /// Credentials (tokens left empty) with their volunteer ids, newest first.
    async fn list_credentials(
        &self,
        filter: &CredentialFilter<'_>,
    ) -> Result<Vec<(CredentialRow, Option<String>)>>;
    /// The volunteer id a credential is linked to.
    async fn credential_volunteer(&self, id: &str) -> Result<Option<String>>;
    /// Whether volunteer `volunteer_id` is in `office_id`'s part of the register: linked to a
    /// credential of the office, or registered by one of its operators.
    async fn volunteer_in_office(&self, volunteer_id: &str, office_id: &str) -> Result<bool>;
    /// The office of an operator (`None` for admins and auditors, or no such operator).
    async fn operator_office(&self, operator_id: &str) -> Result<Option<String>>;
    /// Write a volunteer's corrected names and contact members (`name_*`, `name_search`,
    /// `email`, `phone`, `region` of `v`) with its audit entry — one transaction;
    /// [`StoreError::NotFound`] if there is no such volunteer.
    async fn update_volunteer(&self, v: &VolunteerRow, audit: &AuditEntry) -> Result<()>;
    /// The credential types an office may issue, as stored now (`None`: no such office).
    async fn office_credential_types(&self, office_id: &str)
        -> Result<Option<Vec<CredentialKind>>>;
    /// Set the credential types an office may issue — one transaction with its audit entry,
    /// the trust list marked for re-signing; `Ok(false)` (nothing written) if they are those
    /// already, [`StoreError::NotFound`] if there is no such office.
    async fn set_credential_types(
        &self,
        office_id: &str,
        types: &[CredentialKind],
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// The facts of a volunteer's non-revoked credentials (of `office` only, if given), in
    /// issuance order.
    async fn volunteer_facts(
        &self,
        volunteer_id: &str,
        office: Option<&str>,
    ) -> Result<Vec<FactRow>>;
    /// Rotate the root key — one transaction: the next trust list (sequence after the latest)
    /// built by `build`, which signs it with the current root and names `next.did` as
    /// `nextRoot`; kept as a rotation list; the next root stored (sealed) as the current one;
    /// the audit entry. Returns the rotation list.
    async fn rotate_root(
        &self,
        next: &NextRoot,
        build: &TrustFn<'_>,
        audit: &AuditEntry,
    ) -> Result<TrustListRow>;
    /// The rotation lists, oldest first (the root chain).
    async fn root_chain(&self) -> Result<Vec<String>>;
}

/// The root a rotation hands over to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextRoot {
    /// Its did:key.
    pub did: String,
    /// The current root's did:key.
    pub previous_did: String,
    /// Its private key, sealed under the KEK.
    pub sealed: Vec<u8>,
    /// When the rotation happens.
    pub at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the next credential of a list goes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Place {
        /// At this index.
        At(u64),
        /// The list is [`list_capacity`] full: open the office's next list.
        NextList,
        /// Every index of the list is taken.
        Full,
    }

    /// The placement steps for one credential, composed in the order the store applies them
    /// (`store/sql.rs`, which draws a batch's indices together and lets the database's unique
    /// index say which are taken): the next list once this one is [`list_capacity`] full; else
    /// random draws until one is not `is_taken`, up to [`INDEX_ATTEMPTS`]; then a uniform pick
    /// among the free indices (`taken`, sorted).
    fn place(
        draw: &IndexDraw<'_>,
        used: i64,
        is_taken: impl Fn(u64) -> bool,
        taken: impl FnOnce() -> Vec<u64>,
    ) -> Place {
        let size = i64::try_from(draw.size).unwrap_or(i64::MAX);
        if !has_room(used, size, 1) {
            return Place::NextList;
        }
        let mut attempt = 0;
        while IndexDraw::random_allowed(attempt) {
            let index = draw.random();
            if !is_taken(index) {
                return Place::At(index);
            }
            attempt += 1;
        }
        match draw.free(&taken()) {
            Some(index) => Place::At(index),
            None => Place::Full,
        }
    }

    #[test]
    fn nth_free_skips_taken_indices() {
        let taken = [0, 1, 3, 6];
        let free: Vec<u64> = (0..6).map(|k| nth_free(&taken, k)).collect();
        assert_eq!(free, vec![2, 4, 5, 7, 8, 9]);
        assert_eq!(nth_free(&[], 5), 5);
        // A nearly full list: the only free index is found whatever comes before it.
        let taken: Vec<u64> = (0..100).filter(|&i| i != 57).collect();
        assert_eq!(nth_free(&taken, 0), 57);
    }

    /// A random source that answers from a script (and records the bounds asked for).
    struct Script {
        answers: std::sync::Mutex<Vec<u64>>,
        bounds: std::sync::Mutex<Vec<u64>>,
    }

    impl Script {
        fn new(answers: &[u64]) -> Script {
            let mut answers = answers.to_vec();
            answers.reverse();
            Script {
                answers: std::sync::Mutex::new(answers),
                bounds: std::sync::Mutex::new(Vec::new()),
            }
        }
        fn below(&self, bound: u64) -> u64 {
            self.bounds.lock().unwrap().push(bound);
            let x = self.answers.lock().unwrap().pop().expect("script ran out");
            assert!(x < bound, "scripted {x} not below {bound}");
            x
        }
        fn bounds(&self) -> Vec<u64> {
            self.bounds.lock().unwrap().clone()
        }
    }

    #[test]
    fn place_takes_a_free_first_draw() {
        let script = Script::new(&[7]);
        let below = |b| script.below(b);
        let draw = IndexDraw::new(100, &below).unwrap();
        let place = place(&draw, 0, |_| false, || panic!("no scan needed"));
        assert_eq!(place, Place::At(7));
        assert_eq!(script.bounds(), vec![100]);
    }

    #[test]
    fn place_draws_again_after_collisions() {
        let script = Script::new(&[3, 5, 3, 42]);
        let below = |b| script.below(b);
        let draw = IndexDraw::new(100, &below).unwrap();
        let taken = [3, 5];
        let place = place(&draw, 2, |i| taken.contains(&i), || panic!("no scan"));
        assert_eq!(place, Place::At(42));
        assert_eq!(script.bounds(), vec![100; 4]);
    }

    #[test]
    fn place_picks_among_the_free_after_every_draw_collided() {
        // Ten indices, eight taken (used 8 of capacity 9): every random draw hits index 0.
        let taken: Vec<u64> = vec![0, 1, 2, 3, 5, 6, 7, 9];
        let mut answers = vec![0; INDEX_ATTEMPTS];
        answers.push(1); // the pick among the two free ones: the second, index 8
        let script = Script::new(&answers);
        let below = |b| script.below(b);
        let draw = IndexDraw::new(10, &below).unwrap();
        let place = place(&draw, 8, |i| taken.contains(&i), || taken.clone());
        assert_eq!(place, Place::At(8));
        let bounds = script.bounds();
        assert_eq!(bounds.len(), INDEX_ATTEMPTS + 1);
        assert!(bounds[..INDEX_ATTEMPTS].iter().all(|b| *b == 10));
        assert_eq!(bounds[INDEX_ATTEMPTS], 2, "uniform among the free indices");
        // The other free index for the other answer.
        let script = Script::new(&[0]);
        let below = |b| script.below(b);
        assert_eq!(IndexDraw::new(10, &below).unwrap().free(&taken), Some(4));
    }

    #[test]
    fn place_reports_a_list_with_no_free_index() {
        let script = Script::new(&[0; INDEX_ATTEMPTS]);
        let below = |b| script.below(b);
        let draw = IndexDraw::new(1, &below).unwrap();
        // used 0 of capacity 0 would roll over; ask as if the list still had room.
        assert_eq!(draw.free(&[0]), None);
        let script = Script::new(&[0; INDEX_ATTEMPTS]);
        let below = |b| script.below(b);
        let draw = IndexDraw::new(20, &below).unwrap();
        let all: Vec<u64> = (0..20).collect();
        assert_eq!(place(&draw, 0, |_| true, || all.clone()), Place::Full);
    }

    #[test]
    fn place_rolls_over_at_ninety_percent() {
        let script = Script::new(&[1]);
        let below = |b| script.below(b);
        let draw = IndexDraw::new(10, &below).unwrap();
        // Capacity 9: the ninth entry still goes in, the tenth opens the next list.
        assert_eq!(place(&draw, 9, |_| false, Vec::new), Place::NextList);
        assert_eq!(place(&draw, 8, |_| false, Vec::new), Place::At(1));
        assert!(has_room(117_963, 131_072, 1));
        assert!(!has_room(117_964, 131_072, 1));
        assert!(has_room(117_900, 131_072, 64));
        assert!(!has_room(117_901, 131_072, 64));
        assert!(script.bounds().len() == 1, "no draw for a full list");
    }

    #[test]
    fn index_draw_refuses_a_negative_size() {
        let below = |_| 0;
        assert!(IndexDraw::new(-1, &below).is_err());
    }

    #[test]
    fn capacity_is_ninety_percent() {
        assert_eq!(list_capacity(131_072), 117_964);
        assert_eq!(list_capacity(10), 9);
    }
}
