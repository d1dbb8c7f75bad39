//! The SQL behind [`Store`](super::Store), written once and expanded for SQLite and
//! PostgreSQL by `impl_store!` (the two differ only in pool type, how a write transaction
//! begins, and the migration folder).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::*;
use crate::audit::{self, AuditEntry, AuditRow};
use crate::crypto::random_below;
use crate::types::{KeyState, Role};
use crate::volunteers::{self, HoursCaps, HoursFact, Refusal};
use vpass_credential::issue::Format;
use vpass_credential::model::{CredentialKind, IsoDate};
use vpass_credential::time::UnixTime;

/// Migrations compiled into the binary (sqlx's `migrate!` macro would need the `macros`
/// feature and its build-time dependencies).
#[derive(Debug, Clone, Copy)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> futures_core_box::BoxFuture<
        'static,
        std::result::Result<Vec<Migration>, sqlx::error::BoxDynError>,
    > {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, desc, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*desc),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The boxed-future type `MigrationSource` uses.
mod futures_core_box {
    /// A pinned, boxed, `Send` future.
    pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
}

const SQLITE_MIGRATIONS: Embedded = Embedded(&[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "audit",
        include_str!("../../migrations/sqlite/0002_audit.sql"),
    ),
    (
        3,
        "volunteers",
        include_str!("../../migrations/sqlite/0003_volunteers.sql"),
    ),
    (
        4,
        "operations",
        include_str!("../../migrations/sqlite/0004_operations.sql"),
    ),
    (
        5,
        "root_rotation",
        include_str!("../../migrations/sqlite/0005_root_rotation.sql"),
    ),
]);
const PG_MIGRATIONS: Embedded = Embedded(&[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "audit",
        include_str!("../../migrations/postgres/0002_audit.sql"),
    ),
    (
        3,
        "volunteers",
        include_str!("../../migrations/postgres/0003_volunteers.sql"),
    ),
    (
        4,
        "operations",
        include_str!("../../migrations/postgres/0004_operations.sql"),
    ),
    (
        5,
        "root_rotation",
        include_str!("../../migrations/postgres/0005_root_rotation.sql"),
    ),
]);

/// SQLite storage: one file, WAL, writes serialised by `BEGIN IMMEDIATE`.
///
/// Write transactions go through a pool of one connection: concurrent writers then wait in
/// the pool's queue, first come first served, instead of in SQLite's busy handler, which
/// polls with sleeps of up to 100 ms and so made a few requests wait far longer than the
/// writes ahead of them took. Reads use their own pool and run beside the writer (WAL).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    rate_limit: Arc<AtomicU32>,
    write: SqlitePool,
}

impl SqliteStore {
    /// `BEGIN IMMEDIATE` holds the database's write lock already: no row locks needed.
    const LOCKS_ROWS: bool = false;
    /// Multi-row `INSERT`s use anonymous `?` placeholders: sqlx looks each numbered one up by
    /// name, which SQLite answers by a linear scan, so numbered ones cost quadratic time in
    /// the number of parameters (a tenth of a 5,000-row batch's time with 500 per statement).
    const ANON_PARAMS: bool = true;

    /// Open (creating if needed) the database at `url` (`sqlite://path` or `sqlite::memory:`).
    pub async fn connect(url: &str) -> Result<SqliteStore> {
        let opts: SqliteConnectOptions = url.parse()?;
        let opts = opts
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10));
        // An in-memory database exists once per connection: keep exactly one, for both.
        if url.contains(":memory:") {
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts)
                .await?;
            return Ok(SqliteStore {
                write: pool.clone(),
                pool,
                rate_limit: Arc::default(),
            });
        }
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        Ok(SqliteStore {
            pool,
            write,
            rate_limit: Arc::default(),
        })
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn run_migrations(&self) -> Result<()> {
        Migrator::new(SQLITE_MIGRATIONS)
            .await?
            .run(&self.pool)
            .await?;
        Ok(())
    }
}

impl SqliteStore {
    /// The pools: `read` and `write` (for an in-memory database, one pool under both names).
    fn pools(&self) -> Vec<(&'static str, &SqlitePool)> {
        vec![("read", &self.pool), ("write", &self.write)]
    }
}

/// PostgreSQL storage: several `vpass serve` instances may share one database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The same pool: PostgreSQL needs no separate writer (see [`SqliteStore`]).
    write: PgPool,
    rate_limit: Arc<AtomicU32>,
}

impl PgStore {
    /// Concurrent transactions: a volunteer's row is locked before its checks.
    const LOCKS_ROWS: bool = true;
    /// PostgreSQL takes numbered placeholders only.
    const ANON_PARAMS: bool = false;

    /// Connect to `postgres://…`.
    pub async fn connect(url: &str) -> Result<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await?;
        Ok(PgStore {
            write: pool.clone(),
            pool,
            rate_limit: Arc::default(),
        })
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.write.begin().await?)
    }

    async fn run_migrations(&self) -> Result<()> {
        Migrator::new(PG_MIGRATIONS).await?.run(&self.pool).await?;
        Ok(())
    }

    /// The pool: `main` (reads and writes share it).
    fn pools(&self) -> Vec<(&'static str, &PgPool)> {
        vec![("main", &self.pool)]
    }
}

/// A pool's use now.
fn pool_use<DB: sqlx::Database>(name: &'static str, pool: &sqlx::Pool<DB>) -> PoolUse {
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
    PoolUse {
        pool: name,
        in_use: pool.size().saturating_sub(idle),
        idle,
        max: pool.options().get_max_connections(),
    }
}

type OfficeTuple = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
);
type KeyTuple = (String, String, String, Vec<u8>, i64, String, Option<i64>);
type ListTuple = (
    String,
    i64,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
    i64,
);
type CredTuple = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    Option<i64>,
    Option<String>,
);

const CRED_COLUMNS: &str = "id, office_id, kind, format, token, list_no, status_index, \
     issued_at, issued_by, revoked_at, revoked_reason";
const LIST_COLUMNS: &str = "office_id, list_no, url, size, token, valid_from, valid_until, used";
const KEY_COLUMNS: &str = "kid, office_id, public_jwk, sealed_private, valid_from, state, state_at";

// Stored names: the one place each of the rows' enums meets its stored text. A value this
// version does not write is `StoreError::Corrupt` naming the column, never a default.

/// `credentials.kind`: the VCDM type name.
fn stored_kind(name: &str, column: &'static str) -> Result<CredentialKind> {
    CredentialKind::from_type_name(name).ok_or(StoreError::Corrupt(column))
}

/// `credentials.format`: `sd-jwt` or `jwt`.
fn stored_format(name: &str) -> Result<Format> {
    Format::from_name(name).ok_or(StoreError::Corrupt("credentials.format"))
}

/// `operators.role` with `operators.office_id`: an officer has an office, the others none.
fn stored_role(name: &str, office_id: Option<String>) -> Result<Role> {
    Role::from_parts(name, office_id).ok_or(StoreError::Corrupt("operators.role"))
}

/// `office_keys.state` with `office_keys.state_at`.
fn stored_key_state(name: &str, at: Option<i64>) -> Result<KeyState> {
    KeyState::from_parts(name, at.map(UnixTime)).ok_or(StoreError::Corrupt("office_keys.state"))
}

/// `office_keys.state` and `office_keys.state_at` of a state.
fn key_state_columns(state: KeyState) -> (&'static str, Option<i64>) {
    (state.name(), state.at().map(|t| t.0))
}

/// `offices.credential_types`: a JSON array of type names.
fn stored_types(text: &str) -> Result<Vec<CredentialKind>> {
    let corrupt = StoreError::Corrupt("offices.credential_types");
    let names: Vec<String> = serde_json::from_str(text).map_err(|_| corrupt)?;
    names
        .iter()
        .map(|n| stored_kind(n, "offices.credential_types"))
        .collect()
}

/// The stored text of an office's credential types ([`stored_types`]).
fn types_column(types: &[CredentialKind]) -> String {
    let names: Vec<&str> = types.iter().map(|k| k.type_name()).collect();
    serde_json::Value::from(names).to_string()
}

fn office_row(t: OfficeTuple) -> Result<OfficeRow> {
    let credential_types = stored_types(&t.6)?;
    Ok(OfficeRow {
        id: t.0,
        did: t.1,
        name_kk: t.2,
        name_ru: t.3,
        name_en: t.4,
        region: t.5,
        credential_types,
    })
}

fn key_row(t: KeyTuple) -> Result<KeyRow> {
    Ok(KeyRow {
        state: stored_key_state(&t.5, t.6)?,
        kid: t.0,
        office_id: t.1,
        public_jwk: t.2,
        sealed_private: t.3,
        valid_from: UnixTime(t.4),
    })
}

fn list_row(t: ListTuple) -> StatusListRow {
    StatusListRow {
        office_id: t.0,
        list_no: t.1,
        url: t.2,
        size: t.3,
        token: t.4,
        valid_from: t.5.map(UnixTime),
        valid_until: t.6.map(UnixTime),
        used: t.7,
    }
}

fn cred_row(t: CredTuple) -> Result<CredentialRow> {
    Ok(CredentialRow {
        id: t.0,
        office_id: t.1,
        kind: stored_kind(&t.2, "credentials.kind")?,
        format: stored_format(&t.3)?,
        token: t.4,
        list_no: t.5,
        status_index: t.6,
        issued_at: UnixTime(t.7),
        issued_by: t.8,
        revoked_at: t.9.map(UnixTime),
        revoked_reason: t.10,
    })
}

type VolTuple = (
    String,
    Vec<u8>,
    Vec<u8>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    String,
);

const VOL_COLUMNS: &str = "id, iin_index, iin_sealed, name_kk, name_ru, name_en, name_search, \
     birth_date, email, phone, region, created_at, created_by";

fn vol_row(t: VolTuple) -> VolunteerRow {
    VolunteerRow {
        id: t.0,
        iin_index: t.1,
        iin_sealed: t.2,
        name_kk: t.3,
        name_ru: t.4,
        name_en: t.5,
        name_search: t.6,
        birth_date: t.7,
        email: t.8,
        phone: t.9,
        region: t.10,
        created_at: UnixTime(t.11),
        created_by: t.12,
    }
}

/// A volunteer `v` is in office `$4`'s part of the register: linked to one of its credentials
/// or registered by one of its operators.
const IN_OFFICE: &str = "(EXISTS (SELECT 1 FROM credential_facts f JOIN credentials c \
     ON c.id = f.credential_id WHERE f.volunteer_id = v.id AND c.office_id = $4) \
     OR EXISTS (SELECT 1 FROM operators o WHERE o.id = v.created_by AND o.office_id = $4))";

/// `%needle%` for LIKE with `\` as the escape character.
fn like_pattern(needle: &str) -> String {
    let mut out = String::from("%");
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn hours_fact(t: (String, String, f64, String, String, String)) -> Result<HoursFact> {
    let date = |s: &str| IsoDate::parse(s).ok_or(StoreError::Corrupt("credential_facts.period"));
    Ok(HoursFact {
        start: date(&t.3)?,
        end: date(&t.4)?,
        office_id: t.1,
        credential_id: t.0,
        hours: t.2,
        event_key: t.5,
    })
}

/// Hours facts placed in the current batch but not inserted yet, by volunteer id.
type Pending = HashMap<String, Vec<HoursFact>>;

/// An item issued in a transaction: its status index and list, what signing gave besides the
/// stored token, and the volunteer it was linked to.
struct Issued<T> {
    index: u64,
    list_url: String,
    extra: T,
    volunteer: Option<Linked>,
}

/// `rows` groups of `cols` placeholders, numbered in order (`($1, $2), ($3, $4)`) or, with
/// `anon`, anonymous (`(?, ?), (?, ?)`), each group ending with the literal values `tail`
/// (multi-row `INSERT`s).
fn value_rows(anon: bool, rows: usize, cols: usize, tail: &[&str]) -> String {
    let groups: Vec<String> = (0..rows)
        .map(|r| {
            let mut items: Vec<String> = (1..=cols)
                .map(|c| {
                    if anon {
                        "?".to_owned()
                    } else {
                        format!("${}", r * cols + c)
                    }
                })
                .collect();
            items.extend(tail.iter().map(|t| (*t).to_owned()));
            format!("({})", items.join(", "))
        })
        .collect();
    groups.join(", ")
}

/// `n` numbered placeholders from `$first` (`$3, $4, $5`), for `IN` lists.
fn marks(first: usize, n: usize) -> String {
    let marks: Vec<String> = (first..first + n).map(|i| format!("${i}")).collect();
    marks.join(", ")
}

fn indices(rows: Vec<(i64,)>) -> Result<Vec<u64>> {
    rows.into_iter()
        .map(|(i,)| u64::try_from(i).map_err(|_| StoreError::Corrupt("credentials.status_index")))
        .collect()
}

/// The URL of list `list_no` next to the URL of another list of the same office
/// (`…/status/<office>/<n>`).
fn sibling_list_url(url: &str, list_no: i64) -> Result<String> {
    let (base, _) = url
        .rsplit_once('/')
        .ok_or(StoreError::Corrupt("status_lists.url"))?;
    Ok(format!("{base}/{list_no}"))
}

/// `$share` and `$update` are the row-lock clauses (`FOR SHARE`, `FOR UPDATE`) of backends
/// whose write transactions can interleave (PostgreSQL); empty for SQLite, whose
/// `BEGIN IMMEDIATE` serialises writers.
macro_rules! impl_store {
    ($store:ty, $db:ty, $share:expr, $update:expr) => {
        impl $store {
            /// Look up an idempotency record inside a transaction: `Some(answer)` to replay,
            /// an error if the key was used with another request.
            async fn idem_lookup(
                tx: &mut sqlx::Transaction<'static, $db>,
                idem: &Idem<'_>,
            ) -> Result<Option<Answer>> {
                let row: Option<(Vec<u8>, i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT request_hash, status, body FROM idempotency \
                     WHERE operator_id = $1 AND key = $2",
                )
                .bind(idem.operator_id)
                .bind(idem.key)
                .fetch_optional(&mut **tx)
                .await?;
                match row {
                    None => Ok(None),
                    Some((hash, _, _)) if hash != idem.request_hash => {
                        Err(StoreError::IdempotencyMismatch)
                    }
                    Some((_, status, body)) => Ok(Some(Answer::Replayed {
                        status: u16::try_from(status)
                            .map_err(|_| StoreError::Corrupt("idempotency.status"))?,
                        body,
                    })),
                }
            }

            async fn idem_store(
                tx: &mut sqlx::Transaction<'static, $db>,
                idem: &Idem<'_>,
                status: u16,
                body: &[u8],
                now: i64,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO idempotency \
                     (operator_id, key, request_hash, status, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(idem.operator_id)
                .bind(idem.key)
                .bind(idem.request_hash)
                .bind(i64::from(status))
                .bind(body)
                .bind(now)
                .execute(&mut **tx)
                .await
                .map_err(|e| match &e {
                    // Another transaction stored this key first (PostgreSQL, concurrent
                    // retries): this one rolls back and the client retries to get the answer.
                    sqlx::Error::Database(d) if d.is_unique_violation() => {
                        StoreError::IdempotencyInUse
                    }
                    _ => StoreError::Db(e),
                })?;
                Ok(())
            }

            async fn insert_office(
                tx: &mut sqlx::Transaction<'static, $db>,
                seed: &OfficeSeed,
                now: i64,
            ) -> Result<()> {
                let o = &seed.office;
                let types = types_column(&o.credential_types);
                sqlx::query(
                    "INSERT INTO offices (id, did, name_kk, name_ru, name_en, region, \
                     credential_types, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&o.id)
                .bind(&o.did)
                .bind(&o.name_kk)
                .bind(&o.name_ru)
                .bind(&o.name_en)
                .bind(&o.region)
                .bind(types)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                let k = &seed.key;
                let (state, state_at) = key_state_columns(k.state);
                sqlx::query(
                    "INSERT INTO office_keys (kid, office_id, public_jwk, sealed_private, \
                     valid_from, state, state_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&k.kid)
                .bind(&k.office_id)
                .bind(&k.public_jwk)
                .bind(&k.sealed_private)
                .bind(k.valid_from.0)
                .bind(state)
                .bind(state_at)
                .execute(&mut **tx)
                .await?;
                let l = &seed.status_list;
                sqlx::query(
                    "INSERT INTO status_lists (office_id, list_no, url, size) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&l.office_id)
                .bind(l.list_no)
                .bind(&l.url)
                .bind(l.size)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Append an audit entry inside the transaction. Bumping the head row first
            /// serialises appenders (a row lock on PostgreSQL, the write lock on SQLite).
            async fn audit_append(
                tx: &mut sqlx::Transaction<'static, $db>,
                e: &AuditEntry,
            ) -> Result<()> {
                let (seq, prev): (i64, Vec<u8>) = sqlx::query_as(
                    "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
                )
                .fetch_one(&mut **tx)
                .await?;
                let hash = audit::entry_hash(&prev, seq, e);
                sqlx::query(
                    "INSERT INTO audit_log (seq, at, actor, action, office_id, subject, \
                     request_id, detail, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(seq)
                .bind(e.at)
                .bind(&e.actor)
                .bind(&e.action)
                .bind(&e.office_id)
                .bind(&e.subject)
                .bind(&e.request_id)
                .bind(&e.detail)
                .bind(&prev)
                .bind(&hash)
                .execute(&mut **tx)
                .await?;
                sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                    .bind(&hash)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Append entries in order, reading and writing the chain's head once (batches).
            async fn audit_append_all(
                tx: &mut sqlx::Transaction<'static, $db>,
                entries: &[AuditEntry],
            ) -> Result<()> {
                let n = i64::try_from(entries.len()).map_err(|_| StoreError::Corrupt("count"))?;
                if n == 0 {
                    return Ok(());
                }
                let (last, mut prev): (i64, Vec<u8>) = sqlx::query_as(
                    "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash",
                )
                .bind(n)
                .fetch_one(&mut **tx)
                .await?;
                let mut rows = Vec::with_capacity(entries.len());
                for (seq, e) in (last - n + 1..).zip(entries) {
                    let hash = audit::entry_hash(&prev, seq, e);
                    rows.push((seq, e, std::mem::replace(&mut prev, hash.clone()), hash));
                }
                // 50 rows (500 parameters) per statement.
                for chunk in rows.chunks(50) {
                    let sql = format!(
                        "INSERT INTO audit_log (seq, at, actor, action, office_id, subject, \
                         request_id, detail, prev_hash, hash) VALUES {}",
                        value_rows(Self::ANON_PARAMS, chunk.len(), 10, &[])
                    );
                    let mut q = sqlx::query(&sql);
                    for (seq, e, prev_hash, hash) in chunk {
                        q = q
                            .bind(*seq)
                            .bind(e.at)
                            .bind(&e.actor)
                            .bind(&e.action)
                            .bind(&e.office_id)
                            .bind(&e.subject)
                            .bind(&e.request_id)
                            .bind(&e.detail)
                            .bind(prev_hash)
                            .bind(hash);
                    }
                    q.execute(&mut **tx).await?;
                }
                sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                    .bind(&prev)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Count a write of `operator_id` at `now` in its rate-limit window, inside the
            /// write transaction (a refused write rolls its count back with everything else).
            async fn rate_in_tx(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                operator_id: &str,
                now: i64,
            ) -> Result<()> {
                let limit = self.rate_limit.load(Ordering::Relaxed);
                if limit == 0 {
                    return Ok(());
                }
                let window = now - now.rem_euclid(RATE_WINDOW);
                let (count,): (i64,) = sqlx::query_as(
                    "INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, $2, 1) \
                     ON CONFLICT (bucket, window_start) \
                     DO UPDATE SET count = rate_limits.count + 1 RETURNING count",
                )
                .bind(format!("op:{operator_id}"))
                .bind(window)
                .fetch_one(&mut **tx)
                .await?;
                if count > i64::from(limit) {
                    return Err(StoreError::RateLimited {
                        retry_after: window + RATE_WINDOW - now,
                    });
                }
                Ok(())
            }

            /// The office's active key, read under a shared row lock (a rotation's exclusive
            /// lock makes this wait; the statement then finds no active row and looks again).
            async fn active_key(
                tx: &mut sqlx::Transaction<'static, $db>,
                office_id: &str,
            ) -> Result<ActiveKey> {
                for _ in 0..3 {
                    let row: Option<(String, Vec<u8>)> = sqlx::query_as(&format!(
                        "SELECT kid, sealed_private FROM office_keys \
                         WHERE office_id = $1 AND state = $2{}",
                        $share
                    ))
                    .bind(office_id)
                    .bind(KeyState::Active.name())
                    .fetch_optional(&mut **tx)
                    .await?;
                    if let Some((kid, sealed_private)) = row {
                        return Ok(ActiveKey {
                            kid,
                            sealed_private,
                        });
                    }
                }
                Err(StoreError::Corrupt("office without an active key"))
            }

            /// Record that keys or status lists changed: the trust list is re-signed on its
            /// next fetch.
            async fn trust_changed(tx: &mut sqlx::Transaction<'static, $db>) -> Result<()> {
                sqlx::query(
                    "UPDATE trust_list_changes SET generation = generation + 1 WHERE id = 1",
                )
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// The list the office issues into when `need` more indices are wanted: its
            /// highest-numbered list (locked), or the next one, opened here, when that one
            /// would pass [`list_capacity`].
            async fn current_list(
                tx: &mut sqlx::Transaction<'static, $db>,
                office_id: &str,
                need: i64,
            ) -> Result<StatusListRow> {
                for _ in 0..4 {
                    let row: Option<ListTuple> = sqlx::query_as(&format!(
                        "SELECT {LIST_COLUMNS} FROM status_lists WHERE office_id = $1 \
                         ORDER BY list_no DESC LIMIT 1{}",
                        $update
                    ))
                    .bind(office_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                    let row = list_row(row.ok_or(StoreError::Corrupt("office without a list"))?);
                    if has_room(row.used, row.size, need) {
                        return Ok(row);
                    }
                    let next = row.list_no + 1;
                    let url = sibling_list_url(&row.url, next)?;
                    // Another instance may open it at the same moment: whoever comes second
                    // inserts nothing and reads the list the first one made.
                    let done = sqlx::query(
                        "INSERT INTO status_lists (office_id, list_no, url, size, used) \
                         VALUES ($1, $2, $3, $4, 0) ON CONFLICT DO NOTHING",
                    )
                    .bind(office_id)
                    .bind(next)
                    .bind(&url)
                    .bind(row.size)
                    .execute(&mut **tx)
                    .await?;
                    if done.rows_affected() == 1 {
                        Self::trust_changed(tx).await?;
                    }
                }
                Err(StoreError::StatusListFull)
            }

            async fn set_used(
                tx: &mut sqlx::Transaction<'static, $db>,
                list: &StatusListRow,
            ) -> Result<()> {
                sqlx::query("UPDATE status_lists SET used = $1 WHERE office_id = $2 AND list_no = $3")
                    .bind(list.used)
                    .bind(&list.office_id)
                    .bind(list.list_no)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            async fn insert_volunteer(
                tx: &mut sqlx::Transaction<'static, $db>,
                v: &VolunteerRow,
            ) -> Result<bool> {
                let done = sqlx::query(&format!(
                    "INSERT INTO volunteers ({VOL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                     $8, $9, $10, $11, $12, $13) ON CONFLICT (iin_index) DO NOTHING"
                ))
                .bind(&v.id)
                .bind(&v.iin_index)
                .bind(&v.iin_sealed)
                .bind(&v.name_kk)
                .bind(&v.name_ru)
                .bind(&v.name_en)
                .bind(&v.name_search)
                .bind(&v.birth_date)
                .bind(&v.email)
                .bind(&v.phone)
                .bind(&v.region)
                .bind(v.created_at.0)
                .bind(&v.created_by)
                .execute(&mut **tx)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            /// Insert credentials `(item, index, token)` of list `list_no`, 50 rows per
            /// statement, skipping any whose index is taken (`ON CONFLICT DO NOTHING`, also
            /// against an earlier row of the same statement). Returns the ids inserted.
            async fn insert_credentials(
                tx: &mut sqlx::Transaction<'static, $db>,
                rows: &[(&NewCredential<'_>, u64, &str)],
                list_no: i64,
            ) -> Result<HashSet<String>> {
                let mut inserted = HashSet::with_capacity(rows.len());
                for chunk in rows.chunks(50) {
                    let sql = format!(
                        "INSERT INTO credentials ({CRED_COLUMNS}) VALUES {} \
                         ON CONFLICT (office_id, list_no, status_index) DO NOTHING RETURNING id",
                        value_rows(Self::ANON_PARAMS, chunk.len(), 9, &["NULL", "NULL"])
                    );
                    let mut q = sqlx::query_as::<_, (String,)>(&sql);
                    for (new, index, token) in chunk {
                        let signed_index =
                            i64::try_from(*index).map_err(|_| StoreError::Corrupt("index"))?;
                        q = q
                            .bind(new.id)
                            .bind(new.office_id)
                            .bind(new.kind.type_name())
                            .bind(new.format.as_str())
                            .bind(*token)
                            .bind(list_no)
                            .bind(signed_index)
                            .bind(new.issued_at.0)
                            .bind(new.issued_by);
                    }
                    inserted.extend(q.fetch_all(&mut **tx).await?.into_iter().map(|(id,)| id));
                }
                Ok(inserted)
            }

            /// Insert volunteers in the given order, 50 rows per statement, skipping any whose
            /// IIN is registered (`ON CONFLICT (iin_index) DO NOTHING`). Returns the ids
            /// inserted.
            async fn insert_volunteers(
                tx: &mut sqlx::Transaction<'static, $db>,
                rows: &[&VolunteerRow],
            ) -> Result<HashSet<String>> {
                let mut inserted = HashSet::with_capacity(rows.len());
                for chunk in rows.chunks(50) {
                    let sql = format!(
                        "INSERT INTO volunteers ({VOL_COLUMNS}) VALUES {} \
                         ON CONFLICT (iin_index) DO NOTHING RETURNING id",
                        value_rows(Self::ANON_PARAMS, chunk.len(), 13, &[])
                    );
                    let mut q = sqlx::query_as::<_, (String,)>(&sql);
                    for v in chunk {
                        q = q
                            .bind(&v.id)
                            .bind(&v.iin_index)
                            .bind(&v.iin_sealed)
                            .bind(&v.name_kk)
                            .bind(&v.name_ru)
                            .bind(&v.name_en)
                            .bind(&v.name_search)
                            .bind(&v.birth_date)
                            .bind(&v.email)
                            .bind(&v.phone)
                            .bind(&v.region)
                            .bind(v.created_at.0)
                            .bind(&v.created_by);
                    }
                    inserted.extend(q.fetch_all(&mut **tx).await?.into_iter().map(|(id,)| id));
                }
                Ok(inserted)
            }

            /// The ids of the volunteers registered under these IIN indices, by index.
            async fn ids_by_iin_index(
                tx: &mut sqlx::Transaction<'static, $db>,
                indices: &[&[u8]],
            ) -> Result<HashMap<Vec<u8>, String>> {
                let mut out = HashMap::with_capacity(indices.len());
                for chunk in indices.chunks(500) {
                    let sql = format!(
                        "SELECT iin_index, id FROM volunteers WHERE iin_index IN ({})",
                        marks(1, chunk.len())
                    );
                    let mut q = sqlx::query_as::<_, (Vec<u8>, String)>(&sql);
                    for index in chunk {
                        q = q.bind(*index);
                    }
                    out.extend(q.fetch_all(&mut **tx).await?);
                }
                Ok(out)
            }

            /// Lock the rows of volunteers `ids` (sorted, distinct) for the rest of the
            /// transaction, in that order, so two transactions locking some of the same
            /// volunteers cannot wait on each other (PostgreSQL only: SQLite's write lock is
            /// held already). `false` if one of them does not exist.
            async fn lock_volunteers(
                tx: &mut sqlx::Transaction<'static, $db>,
                ids: &[&str],
            ) -> Result<bool> {
                let mut locked = 0;
                for chunk in ids.chunks(500) {
                    // `COLLATE "C"`: byte order, the order `ids` are sorted in, so the chunks
                    // lock in one order too. The strength an `UPDATE` takes: foreign-key
                    // checks of other transactions (`FOR KEY SHARE`) do not wait on it.
                    let sql = format!(
                        "SELECT id FROM volunteers WHERE id IN ({}) \
                         ORDER BY id COLLATE \"C\" FOR NO KEY UPDATE",
                        marks(1, chunk.len())
                    );
                    let mut q = sqlx::query_as::<_, (String,)>(&sql);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    locked += q.fetch_all(&mut **tx).await?.len();
                }
                Ok(locked == ids.len())
            }

            /// The non-revoked hours credentials of volunteers `ids` overlapping
            /// `start..=end`, by volunteer id, each with its period as stored.
            async fn overlapping_hours_all(
                tx: &mut sqlx::Transaction<'static, $db>,
                ids: &[&str],
                start: &str,
                end: &str,
            ) -> Result<HashMap<String, Vec<(String, String, HoursFact)>>> {
                let mut out: HashMap<String, Vec<(String, String, HoursFact)>> = HashMap::new();
                for chunk in ids.chunks(500) {
                    let sql = format!(
                        "SELECT f.volunteer_id, f.credential_id, c.office_id, f.hours, \
                         f.period_start, f.period_end, f.event_key \
                         FROM credential_facts f JOIN credentials c ON c.id = f.credential_id \
                         WHERE f.volunteer_id IN ({}) AND c.revoked_at IS NULL \
                         AND f.hours IS NOT NULL AND f.period_end >= $1 AND f.period_start <= $2",
                        marks(3, chunk.len())
                    );
                    type Row = (String, String, String, f64, String, String, String);
                    let mut q = sqlx::query_as::<_, Row>(&sql)
                    .bind(start)
                    .bind(end);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    for (vid, cid, office, hours, ps, pe, event) in q.fetch_all(&mut **tx).await? {
                        let fact = hours_fact((cid, office, hours, ps.clone(), pe.clone(), event))?;
                        out.entry(vid).or_default().push((ps, pe, fact));
                    }
                }
                Ok(out)
            }

            /// Insert facts rows `(credential id, volunteer id, facts)`, 50 per statement.
            async fn insert_facts_all(
                tx: &mut sqlx::Transaction<'static, $db>,
                rows: &[(&str, String, &NewFacts)],
            ) -> Result<()> {
                for chunk in rows.chunks(50) {
                    let sql = format!(
                        "INSERT INTO credential_facts (credential_id, volunteer_id, hours, \
                         category, period_start, period_end, event_key, entry) VALUES {}",
                        value_rows(Self::ANON_PARAMS, chunk.len(), 8, &[])
                    );
                    let mut q = sqlx::query(&sql);
                    for (cid, vid, f) in chunk {
                        let h = f.hours.as_ref();
                        q = q
                            .bind(*cid)
                            .bind(vid.as_str())
                            .bind(h.map(|h| h.hours))
                            .bind(h.and_then(|h| h.category.as_deref()))
                            .bind(h.map(|h| h.period_start.as_str()))
                            .bind(h.map(|h| h.period_end.as_str()))
                            .bind(h.map(|h| h.event_key.as_str()))
                            .bind(f.entry.as_deref());
                    }
                    q.execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// The audit entry of a volunteer registered on the way, from the issuance's.
            fn registered_entry(issue: &AuditEntry, volunteer_id: &str) -> AuditEntry {
                AuditEntry {
                    action: "volunteer.register".into(),
                    subject: Some(volunteer_id.to_owned()),
                    detail: Some("registered from a credential subject".into()),
                    ..issue.clone()
                }
            }

            /// Issue `items` (all of one office) in order inside the transaction: link each to
            /// its volunteer and run the plausibility checks (a refused item is skipped, its
            /// refusal returned in its place; later items' checks see the hours of earlier
            /// ones), then place it at a random free index of the office's current status list
            /// and sign it with the office's active key, carrying on in the next list when one
            /// is [`list_capacity`] full; last the facts, the lists' fill counts and the audit
            /// entries (`audits[i]` for item `i`, after a registration entry for a volunteer
            /// registered on the way). The key and the list are read (and the list's row
            /// locked) before any volunteer's row, and volunteers are inserted in IIN-index
            /// order and locked in id order, so every issuing transaction takes its locks in
            /// the same order.
            ///
            /// Every step is done for all items at once, in multi-row statements: new
            /// volunteers are inserted together (an item whose IIN was registered meanwhile,
            /// or by an earlier item, is linked to that volunteer and checked like one already
            /// registered); the existing volunteers' rows are locked and their overlapping
            /// hours read in a few statements; credentials are signed at random indices and
            /// inserted together, and only those whose index was taken are drawn again and
            /// re-signed, up to [`INDEX_ATTEMPTS`] draws each, then from the free indices.
            async fn issue_all<T: Send>(
                tx: &mut sqlx::Transaction<'static, $db>,
                items: &[NewCredential<'_>],
                facts: &[NewFacts],
                caps: &HoursCaps,
                audits: &[AuditEntry],
                sign: &(dyn Fn(usize, &Placement<'_>, Option<&Linked>) -> Result<(String, T)>
                      + Send
                      + Sync),
            ) -> Result<Vec<std::result::Result<Issued<T>, Refusal>>> {
                /// How an item's volunteer is linked, before the checks.
                enum Link {
                    /// Not linked.
                    Unlinked,
                    /// Refused before linking.
                    Refused(Refusal),
                    /// Registers its volunteer (the first unrefused item with its IIN).
                    Register,
                    /// Another item registers (or tries to) the volunteer with this IIN.
                    SameIin,
                    /// A registered volunteer: checked against its hours.
                    Existing(String),
                }
                let Some(first) = items.first() else {
                    return Ok(Vec::new());
                };
                let facts = facts
                    .get(..items.len())
                    .ok_or(StoreError::Corrupt("batch facts"))?;
                let date = |s: &str| IsoDate::parse(s).ok_or(StoreError::Corrupt("period"));
                let hours_of = |f: &NewFacts, credential_id: &str| -> Result<Option<HoursFact>> {
                    f.hours
                        .as_ref()
                        .map(|h| {
                            Ok(HoursFact {
                                credential_id: credential_id.to_owned(),
                                // A batch is of one office.
                                office_id: first.office_id.to_owned(),
                                hours: h.hours,
                                start: date(&h.period_start)?,
                                end: date(&h.period_end)?,
                                event_key: h.event_key.clone(),
                            })
                        })
                        .transpose()
                };
                let check = |f: &NewFacts,
                             existing: &[HoursFact]|
                 -> Result<std::result::Result<(), Refusal>> {
                    Ok(match hours_of(f, "")? {
                        None => Ok(()),
                        Some(new) => volunteers::check_against(
                            &new,
                            existing,
                            caps,
                            f.confirm_duplicate,
                        ),
                    })
                };
                let key = Self::active_key(tx, first.office_id).await?;
                let mut list = Self::current_list(tx, first.office_id, 1).await?;

                // New volunteers have no hours yet: checked against none; the first unrefused
                // item of each IIN registers it.
                let mut links = Vec::with_capacity(items.len());
                let mut registering: HashMap<&[u8], &VolunteerRow> = HashMap::new();
                for f in facts {
                    links.push(match &f.volunteer {
                        None => Link::Unlinked,
                        Some(VolunteerLink::Existing(id)) => Link::Existing(id.clone()),
                        Some(VolunteerLink::Register(v)) => match check(f, &[])? {
                            Err(r) => Link::Refused(r),
                            Ok(()) if registering.contains_key(v.iin_index.as_slice()) => {
                                Link::SameIin
                            }
                            Ok(()) => {
                                registering.insert(v.iin_index.as_slice(), v);
                                Link::Register
                            }
                        },
                    });
                }
                let mut new_rows: Vec<&VolunteerRow> = registering.values().copied().collect();
                new_rows.sort_by(|a, b| a.iin_index.cmp(&b.iin_index));
                let inserted = Self::insert_volunteers(tx, &new_rows).await?;
                let taken: Vec<&[u8]> = new_rows
                    .iter()
                    .filter(|v| !inserted.contains(&v.id))
                    .map(|v| v.iin_index.as_slice())
                    .collect();
                let registered = Self::ids_by_iin_index(tx, &taken).await?;
                // The volunteer of an item whose IIN another item registers or tried to.
                let by_iin = |v: &VolunteerRow| -> Result<String> {
                    let first = registering
                        .get(v.iin_index.as_slice())
                        .ok_or(StoreError::Corrupt("batch volunteers"))?;
                    if inserted.contains(&first.id) {
                        return Ok(first.id.clone());
                    }
                    registered
                        .get(&v.iin_index)
                        .cloned()
                        .ok_or(StoreError::NotFound)
                };
                for (link, f) in links.iter_mut().zip(facts) {
                    let Some(VolunteerLink::Register(v)) = &f.volunteer else {
                        continue;
                    };
                    match link {
                        Link::Register if !inserted.contains(&v.id) => {
                            *link = Link::Existing(by_iin(v)?);
                        }
                        Link::SameIin => *link = Link::Existing(by_iin(v)?),
                        _ => {}
                    }
                }

                // Volunteers registered before: lock their rows (PostgreSQL) and read their
                // hours overlapping the batch's periods.
                let mut existing: Vec<&str> = links
                    .iter()
                    .filter_map(|l| match l {
                        Link::Existing(id) => Some(id.as_str()),
                        _ => None,
                    })
                    .collect();
                existing.sort_unstable();
                existing.dedup();
                // Volunteers are never deleted, so on SQLite (one writer) the ids read before
                // the transaction still exist; PostgreSQL locks the rows for the checks.
                if Self::LOCKS_ROWS && !Self::lock_volunteers(tx, &existing).await? {
                    return Err(StoreError::NotFound);
                }
                let mut with_hours: Vec<&str> = Vec::new();
                let (mut from, mut to): (Option<&str>, Option<&str>) = (None, None);
                for (link, f) in links.iter().zip(facts) {
                    if let (Link::Existing(id), Some(h)) = (link, &f.hours) {
                        with_hours.push(id.as_str());
                        let (s, e) = (h.period_start.as_str(), h.period_end.as_str());
                        from = Some(from.map_or(s, |x| x.min(s)));
                        to = Some(to.map_or(e, |x| x.max(e)));
                    }
                }
                with_hours.sort_unstable();
                with_hours.dedup();
                let stored = match (from, to) {
                    (Some(from), Some(to)) => {
                        Self::overlapping_hours_all(tx, &with_hours, from, to).await?
                    }
                    _ => HashMap::new(),
                };

                // The checks, in order: each item sees the stored hours overlapping its period
                // and the hours of the earlier items of the batch.
                let mut pending = Pending::new();
                let mut linked: Vec<std::result::Result<Option<Linked>, Refusal>> =
                    Vec::with_capacity(items.len());
                for ((link, f), new) in links.into_iter().zip(facts).zip(items) {
                    let outcome = match link {
                        Link::Unlinked => Ok(None),
                        Link::Refused(r) => Err(r),
                        Link::Register => match &f.volunteer {
                            Some(VolunteerLink::Register(v)) => Ok(Some((v.id.clone(), true))),
                            _ => return Err(StoreError::Corrupt("batch volunteers")),
                        },
                        Link::SameIin => return Err(StoreError::Corrupt("batch volunteers")),
                        Link::Existing(id) => match &f.hours {
                            None => Ok(Some((id, false))),
                            Some(h) => {
                                let (s, e) = (h.period_start.as_str(), h.period_end.as_str());
                                let mut seen: Vec<HoursFact> = stored
                                    .get(&id)
                                    .into_iter()
                                    .flatten()
                                    .filter(|(ps, pe, _)| pe.as_str() >= s && ps.as_str() <= e)
                                    .map(|(_, _, fact)| fact.clone())
                                    .collect();
                                if let Some(more) = pending.get(&id) {
                                    seen.extend(more.iter().cloned());
                                }
                                match check(f, &seen)? {
                                    Ok(()) => Ok(Some((id, false))),
                                    Err(r) => Err(r),
                                }
                            }
                        },
                    };
                    if let Ok(Some((vid, _))) = &outcome {
                        if let Some(fact) = hours_of(f, new.id)? {
                            pending.entry(vid.clone()).or_default().push(fact);
                        }
                    }
                    linked.push(outcome);
                }

                // Each accepted item goes to the current list, the next one once it is full
                // (every item given a list is placed in it, or the whole batch fails).
                let mut lists: Vec<StatusListRow> = Vec::new();
                let mut list_of: Vec<Option<usize>> = Vec::with_capacity(items.len());
                for (outcome, new) in linked.iter().zip(items) {
                    if outcome.is_err() {
                        list_of.push(None);
                        continue;
                    }
                    if !has_room(list.used, list.size, 1) {
                        Self::set_used(tx, &list).await?;
                        let next = Self::current_list(tx, new.office_id, 1).await?;
                        lists.push(std::mem::replace(&mut list, next));
                    }
                    list.used += 1;
                    list_of.push(Some(lists.len()));
                }
                Self::set_used(tx, &list).await?;
                lists.push(list);

                // Place each list's items: draw and sign all, insert together, draw again for
                // those whose index was taken.
                let mut placed: Vec<Option<(u64, T)>> = items.iter().map(|_| None).collect();
                for (n, list) in lists.iter().enumerate() {
                    let index_draw = IndexDraw::new(list.size, &random_below)?;
                    let mut waiting: Vec<usize> = list_of
                        .iter()
                        .enumerate()
                        .filter(|(_, l)| **l == Some(n))
                        .map(|(i, _)| i)
                        .collect();
                    let mut placement = Placement {
                        key: &key,
                        list_no: list.list_no,
                        list_url: &list.url,
                        index: 0,
                    };
                    // Draw an index for each of `rows` and sign there.
                    let draw = |rows: &[usize]| -> Result<Vec<(usize, u64, String, T)>> {
                        let mut placement = Placement {
                            key: &key,
                            list_no: list.list_no,
                            list_url: &list.url,
                            index: 0,
                        };
                        rows.iter()
                            .map(|&i| {
                                let volunteer = linked
                                    .get(i)
                                    .and_then(|l| l.as_ref().ok())
                                    .and_then(Option::as_ref);
                                placement.index = index_draw.random();
                                let (token, extra) = sign(i, &placement, volunteer)?;
                                Ok((i, placement.index, token, extra))
                            })
                            .collect()
                    };
                    let mut attempt = 0;
                    while !waiting.is_empty() && IndexDraw::random_allowed(attempt) {
                        attempt += 1;
                        // 50 rows per statement; the next 50 are signed while the database
                        // inserts these (on the other core).
                        let chunks: Vec<&[usize]> = waiting.chunks(50).collect();
                        let mut retry = Vec::new();
                        let mut drawn = draw(chunks.first().copied().unwrap_or_default())?;
                        for c in 1..=chunks.len() {
                            let rows: Vec<(&NewCredential<'_>, u64, &str)> = drawn
                                .iter()
                                .map(|(i, index, token, _)| (&items[*i], *index, token.as_str()))
                                .collect();
                            let insert = Self::insert_credentials(tx, &rows, list.list_no);
                            let (done, next) = match chunks.get(c) {
                                Some(more) => {
                                    let (done, next) =
                                        tokio::join!(insert, async { draw(more) });
                                    (done?, next?)
                                }
                                None => (insert.await?, Vec::new()),
                            };
                            for (i, index, _, extra) in std::mem::replace(&mut drawn, next) {
                                if done.contains(items[i].id) {
                                    placed[i] = Some((index, extra));
                                } else {
                                    retry.push(i);
                                }
                            }
                        }
                        waiting = retry;
                    }
                    // Still taken after every draw: draw from the free indices.
                    for i in waiting {
                        let volunteer = linked
                            .get(i)
                            .and_then(|l| l.as_ref().ok())
                            .and_then(Option::as_ref);
                        let rows: Vec<(i64,)> = sqlx::query_as(
                            "SELECT status_index FROM credentials WHERE office_id = $1 \
                             AND list_no = $2 ORDER BY status_index",
                        )
                        .bind(&list.office_id)
                        .bind(list.list_no)
                        .fetch_all(&mut **tx)
                        .await?;
                        placement.index = index_draw
                            .free(&indices(rows)?)
                            .ok_or(StoreError::StatusListFull)?;
                        let (token, extra) = sign(i, &placement, volunteer)?;
                        let row = [(&items[i], placement.index, token.as_str())];
                        if Self::insert_credentials(tx, &row, list.list_no).await?.is_empty() {
                            return Err(StoreError::StatusListFull);
                        }
                        placed[i] = Some((placement.index, extra));
                    }
                }

                // The answers, facts and audit entries in item order.
                let mut done = Vec::with_capacity(items.len());
                let mut entries = Vec::with_capacity(items.len());
                let mut fact_rows = Vec::with_capacity(items.len());
                for (i, outcome) in linked.into_iter().enumerate() {
                    let volunteer = match outcome {
                        Ok(v) => v,
                        Err(refusal) => {
                            done.push(Err(refusal));
                            continue;
                        }
                    };
                    let new = &items[i];
                    let (index, extra) = placed[i]
                        .take()
                        .ok_or(StoreError::Corrupt("batch placement"))?;
                    let list = list_of[i]
                        .and_then(|n| lists.get(n))
                        .ok_or(StoreError::Corrupt("batch placement"))?;
                    if let Some((vid, _)) = &volunteer {
                        fact_rows.push((new.id, vid.clone(), &facts[i]));
                    }
                    let entry = audits.get(i).ok_or(StoreError::Corrupt("audit entries"))?;
                    if let Some((vid, true)) = &volunteer {
                        entries.push(Self::registered_entry(entry, vid));
                    }
                    entries.push(entry.clone());
                    done.push(Ok(Issued {
                        index,
                        list_url: list.url.clone(),
                        extra,
                        volunteer,
                    }));
                }
                Self::insert_facts_all(tx, &fact_rows).await?;
                Self::audit_append_all(tx, &entries).await?;
                Ok(done)
            }

            /// What a trust list is built from: every office, key and status list, in the
            /// order the list names them.
            async fn trust_inputs(
                tx: &mut sqlx::Transaction<'static, $db>,
            ) -> Result<(Vec<OfficeRow>, Vec<KeyRow>, Vec<StatusListRow>)> {
                let offices: Vec<OfficeTuple> = sqlx::query_as(
                    "SELECT id, did, name_kk, name_ru, name_en, region, credential_types \
                     FROM offices ORDER BY id",
                )
                .fetch_all(&mut **tx)
                .await?;
                let offices = offices
                    .into_iter()
                    .map(office_row)
                    .collect::<Result<Vec<_>>>()?;
                let keys: Vec<KeyTuple> = sqlx::query_as(&format!(
                    "SELECT {KEY_COLUMNS} FROM office_keys ORDER BY office_id, valid_from, kid"
                ))
                .fetch_all(&mut **tx)
                .await?;
                let lists: Vec<ListTuple> = sqlx::query_as(&format!(
                    "SELECT {LIST_COLUMNS} FROM status_lists ORDER BY office_id, list_no"
                ))
                .fetch_all(&mut **tx)
                .await?;
                Ok((
                    offices,
                    keys.into_iter().map(key_row).collect::<Result<_>>()?,
                    lists.into_iter().map(list_row).collect(),
                ))
            }

            async fn revoked_indices(
                tx: &mut sqlx::Transaction<'static, $db>,
                office_id: &str,
                list_no: i64,
            ) -> Result<Vec<u64>> {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT status_index FROM credentials \
                     WHERE office_id = $1 AND list_no = $2 AND revoked_at IS NOT NULL",
                )
                .bind(office_id)
                .bind(list_no)
                .fetch_all(&mut **tx)
                .await?;
                indices(rows)
            }

            /// Sign the list again from its revoked indices. The list's row is locked first
            /// (`FOR UPDATE` on PostgreSQL; SQLite's writer holds the database), so two
            /// transactions re-signing one list take turns: the second reads the indices the
            /// first revoked and the first one's `validFrom`, which `publish` must exceed.
            async fn republish(
                tx: &mut sqlx::Transaction<'static, $db>,
                office_id: &str,
                list_no: i64,
                publish: &PublishFn<'_>,
            ) -> Result<StatusListRow> {
                // The key before the list: issuance and rotation lock in this order too.
                let key = Self::active_key(tx, office_id).await?;
                let row: Option<ListTuple> = sqlx::query_as(&format!(
                    "SELECT {LIST_COLUMNS} FROM status_lists \
                     WHERE office_id = $1 AND list_no = $2{}",
                    $update
                ))
                .bind(office_id)
                .bind(list_no)
                .fetch_optional(&mut **tx)
                .await?;
                let mut row = list_row(row.ok_or(StoreError::NotFound)?);
                let revoked = Self::revoked_indices(tx, office_id, list_no).await?;
                let (token, from, until) = publish(&key, &row, &revoked)?;
                sqlx::query(
                    "UPDATE status_lists SET token = $1, valid_from = $2, valid_until = $3 \
                     WHERE office_id = $4 AND list_no = $5",
                )
                .bind(&token)
                .bind(from.0)
                .bind(until.0)
                .bind(office_id)
                .bind(list_no)
                .execute(&mut **tx)
                .await?;
                row.token = Some(token);
                row.valid_from = Some(from);
                row.valid_until = Some(until);
                Ok(row)
            }
        }

        #[async_trait]
        impl Store for $store {
            async fn migrate(&self) -> Result<()> {
                self.run_migrations().await
            }

            fn pool_use(&self) -> Vec<PoolUse> {
                self.pools()
                    .into_iter()
                    .map(|(name, pool)| pool_use(name, pool))
                    .collect()
            }

            async fn setting(&self, name: &str) -> Result<Option<String>> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT value FROM settings WHERE name = $1")
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|r| r.0))
            }

            async fn bootstrap(&self, b: &Bootstrap) -> Result<()> {
                let mut tx = self.begin_write().await?;
                for (name, value) in &b.settings {
                    sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2)")
                        .bind(name)
                        .bind(value)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO root_keys (did, sealed_private, created_at) VALUES ($1, $2, $3)",
                )
                .bind(&b.root_did)
                .bind(&b.root_sealed)
                .bind(b.now)
                .execute(&mut *tx)
                .await?;
                for seed in &b.offices {
                    Self::insert_office(&mut tx, seed, b.now).await?;
                }
                sqlx::query(
                    "INSERT INTO operators (id, name, role, office_id, created_at) \
                     VALUES ($1, $2, $3, NULL, $4)",
                )
                .bind(&b.admin.0)
                .bind(&b.admin.1)
                .bind(Role::Admin.name())
                .bind(b.now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO api_tokens (id, operator_id, hash, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&b.admin_token.0)
                .bind(&b.admin.0)
                .bind(&b.admin_token.1)
                .bind(b.now)
                .execute(&mut *tx)
                .await?;
                Self::audit_append(&mut tx, &b.audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_operator(&self, op: &NewOperator, audit: &AuditEntry) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO operators (id, name, role, office_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&op.id)
                .bind(&op.name)
                .bind(op.role.name())
                .bind(op.role.office())
                .bind(op.now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO api_tokens (id, operator_id, hash, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&op.token_id)
                .bind(&op.id)
                .bind(&op.token_hash)
                .bind(op.now)
                .execute(&mut *tx)
                .await?;
                Self::audit_append(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn revoke_token(&self, token_id: &str, audit: &AuditEntry) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                )
                .bind(audit.at)
                .bind(token_id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                Self::audit_append(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn audit_entries(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>> {
                type Row = (
                    i64,
                    i64,
                    String,
                    String,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Vec<u8>,
                    Vec<u8>,
                );
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT seq, at, actor, action, office_id, subject, request_id, detail, \
                     prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| AuditRow {
                        seq: r.0,
                        entry: AuditEntry {
                            at: r.1,
                            actor: r.2,
                            action: r.3,
                            office_id: r.4,
                            subject: r.5,
                            request_id: r.6,
                            detail: r.7,
                        },
                        prev_hash: r.8,
                        hash: r.9,
                    })
                    .collect())
            }

            async fn audit_head(&self) -> Result<(i64, Vec<u8>)> {
                Ok(
                    sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                        .fetch_one(&self.pool)
                        .await?,
                )
            }

            async fn root_key(&self) -> Result<Option<(String, Vec<u8>)>> {
                Ok(sqlx::query_as(
                    "SELECT did, sealed_private FROM root_keys ORDER BY created_at DESC LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn offices(&self) -> Result<Vec<OfficeRow>> {
                let rows: Vec<OfficeTuple> = sqlx::query_as(
                    "SELECT id, did, name_kk, name_ru, name_en, region, credential_types \
                     FROM offices ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(office_row).collect()
            }

            async fn office_keys(&self) -> Result<Vec<KeyRow>> {
                let rows: Vec<KeyTuple> = sqlx::query_as(
                    "SELECT kid, office_id, public_jwk, sealed_private, valid_from, state, \
                     state_at FROM office_keys ORDER BY office_id, valid_from, kid",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(key_row).collect()
            }

            async fn status_lists(&self) -> Result<Vec<StatusListRow>> {
                let rows: Vec<ListTuple> = sqlx::query_as(&format!(
                    "SELECT {LIST_COLUMNS} FROM status_lists ORDER BY office_id, list_no"
                ))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(list_row).collect())
            }

            async fn token(&self, token_id: &str) -> Result<Option<TokenRow>> {
                let row: Option<(Vec<u8>, Option<i64>, String, String, String, Option<String>)> =
                    sqlx::query_as(
                        "SELECT t.hash, t.revoked_at, o.id, o.name, o.role, o.office_id \
                         FROM api_tokens t JOIN operators o ON o.id = t.operator_id \
                         WHERE t.id = $1",
                    )
                    .bind(token_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    Ok(TokenRow {
                        role: stored_role(&r.4, r.5)?,
                        hash: r.0,
                        revoked_at: r.1.map(UnixTime),
                        operator_id: r.2,
                        operator_name: r.3,
                    })
                })
                .transpose()
            }

            async fn credential(&self, id: &str) -> Result<Option<CredentialRow>> {
                let row: Option<CredTuple> =
                    sqlx::query_as(&format!("SELECT {CRED_COLUMNS} FROM credentials WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(cred_row).transpose()
            }

            async fn credential_count(&self) -> Result<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM credentials")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn revoke(
                &self,
                idem: &Idem<'_>,
                rev: &Revocation<'_>,
                publish: &PublishFn<'_>,
                respond: &RespondFn<'_>,
                audit: &AuditEntry,
            ) -> Result<Answer> {
                let mut tx = self.begin_write().await?;
                self.rate_in_tx(&mut tx, rev.by, rev.now).await?;
                if let Some(answer) = Self::idem_lookup(&mut tx, idem).await? {
                    return Ok(answer);
                }
                let row: Option<CredTuple> =
                    sqlx::query_as(&format!("SELECT {CRED_COLUMNS} FROM credentials WHERE id = $1"))
                        .bind(rev.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let mut cred = row.map(cred_row).transpose()?.ok_or(StoreError::NotFound)?;
                if rev.scope.is_some_and(|office| office != cred.office_id) {
                    return Err(StoreError::NotFound);
                }
                if cred.revoked_at.is_some() {
                    return Err(StoreError::AlreadyRevoked);
                }
                sqlx::query(
                    "UPDATE credentials SET revoked_at = $1, revoked_reason = $2, revoked_by = $3 \
                     WHERE id = $4",
                )
                .bind(rev.now)
                .bind(rev.reason)
                .bind(rev.by)
                .bind(rev.id)
                .execute(&mut *tx)
                .await?;
                cred.revoked_at = Some(UnixTime(rev.now));
                cred.revoked_reason = Some(rev.reason.to_owned());
                Self::republish(&mut tx, &cred.office_id, cred.list_no, publish).await?;
                let body = respond(&cred);
                Self::idem_store(&mut tx, idem, 200, &body, rev.now).await?;
                let mut entry = audit.clone();
                entry.office_id = Some(cred.office_id.clone());
                Self::audit_append(&mut tx, &entry).await?;
                tx.commit().await?;
                Ok(Answer::Fresh(body))
            }

            async fn rotate_key(
                &self,
                idem: Option<&Idem<'_>>,
                rotation: &Rotation<'_>,
                new_key: &NewKeyFn<'_>,
                respond: &RotateRespondFn<'_>,
                audit: &AuditEntry,
            ) -> Result<Answer> {
                let mut tx = self.begin_write().await?;
                if let Some(idem) = idem {
                    self.rate_in_tx(&mut tx, idem.operator_id, rotation.now).await?;
                    if let Some(answer) = Self::idem_lookup(&mut tx, idem).await? {
                        return Ok(answer);
                    }
                }
                // The exclusive lock waits for issuances holding the key (`FOR SHARE`), so
                // every credential the old key signed is committed and seen below.
                let old: Option<KeyTuple> = sqlx::query_as(&format!(
                    "SELECT {KEY_COLUMNS} FROM office_keys \
                     WHERE office_id = $1 AND state = $2{}",
                    $update
                ))
                .bind(rotation.office_id)
                .bind(KeyState::Active.name())
                .fetch_optional(&mut *tx)
                .await?;
                let mut old = key_row(old.ok_or(StoreError::NotFound)?)?;
                let (count,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM office_keys WHERE office_id = $1")
                        .bind(rotation.office_id)
                        .fetch_one(&mut *tx)
                        .await?;
                let (last,): (Option<i64>,) =
                    sqlx::query_as("SELECT MAX(issued_at) FROM credentials WHERE office_id = $1")
                        .bind(rotation.office_id)
                        .fetch_one(&mut *tx)
                        .await?;
                old.state = if rotation.compromised {
                    KeyState::Compromised {
                        at: UnixTime(rotation.since.unwrap_or(rotation.now)),
                    }
                } else {
                    // A retired key verifies what it signed before `at` (exclusive).
                    let after_last = last.map_or(i64::MIN, |t| t.saturating_add(1));
                    KeyState::Retired {
                        at: UnixTime(rotation.now.max(after_last)),
                    }
                };
                let (state, state_at) = key_state_columns(old.state);
                sqlx::query("UPDATE office_keys SET state = $1, state_at = $2 WHERE kid = $3")
                    .bind(state)
                    .bind(state_at)
                    .bind(&old.kid)
                    .execute(&mut *tx)
                    .await?;
                let new = new_key(count + 1)?;
                let (new_state, new_state_at) = key_state_columns(new.state);
                sqlx::query(&format!(
                    "INSERT INTO office_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ))
                .bind(&new.kid)
                .bind(&new.office_id)
                .bind(&new.public_jwk)
                .bind(&new.sealed_private)
                .bind(new.valid_from.0)
                .bind(new_state)
                .bind(new_state_at)
                .execute(&mut *tx)
                .await?;
                // Unsigned: the next fetch re-signs each list with the new key (`valid_from`
                // is kept: the next signed time must exceed it).
                sqlx::query("UPDATE status_lists SET token = NULL WHERE office_id = $1")
                    .bind(rotation.office_id)
                    .execute(&mut *tx)
                    .await?;
                Self::trust_changed(&mut tx).await?;
                let body = respond(&old, &new);
                if let Some(idem) = idem {
                    Self::idem_store(&mut tx, idem, 200, &body, rotation.now).await?;
                }
                let mut entry = audit.clone();
                entry.office_id = Some(rotation.office_id.to_owned());
                entry.subject = Some(new.kid.clone());
                let why = audit.detail.as_deref().unwrap_or("");
                let at = state_at.unwrap_or(rotation.now);
                entry.detail = Some(format!("{} {state} at {at}; {why}", old.kid));
                Self::audit_append(&mut tx, &entry).await?;
                tx.commit().await?;
                Ok(Answer::Fresh(body))
            }

            fn set_rate_limit(&self, per_minute: u32) {
                self.rate_limit.store(per_minute, Ordering::Relaxed);
            }

            async fn rate_hit(&self, bucket: &str, window_start: i64) -> Result<RateCount> {
                let (count,): (i64,) = sqlx::query_as(
                    "INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, $2, 1) \
                     ON CONFLICT (bucket, window_start) \
                     DO UPDATE SET count = rate_limits.count + 1 RETURNING count",
                )
                .bind(bucket)
                .bind(window_start)
                .fetch_one(&self.write)
                .await?;
                Ok(RateCount { count })
            }

            async fn rate_count(&self, bucket: &str, window_start: i64) -> Result<RateCount> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT count FROM rate_limits WHERE bucket = $1 AND window_start = $2",
                )
                .bind(bucket)
                .bind(window_start)
                .fetch_optional(&self.pool)
                .await?;
                Ok(RateCount {
                    count: row.map_or(0, |r| r.0),
                })
            }

            async fn purge(&self, idempotency_before: i64, rate_before: i64) -> Result<(u64, u64)> {
                let records = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
                    .bind(idempotency_before)
                    .execute(&self.write)
                    .await?
                    .rows_affected();
                let windows = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                    .bind(rate_before)
                    .execute(&self.write)
                    .await?
                    .rows_affected();
                Ok((records, windows))
            }

            async fn fresh_status_list(
                &self,
                office_id: &str,
                list_no: i64,
                stale_before: i64,
                publish: &PublishFn<'_>,
            ) -> Result<StatusListRow> {
                let row: Option<ListTuple> = sqlx::query_as(&format!(
                    "SELECT {LIST_COLUMNS} FROM status_lists WHERE office_id = $1 AND list_no = $2"
                ))
                .bind(office_id)
                .bind(list_no)
                .fetch_optional(&self.pool)
                .await?;
                let row = list_row(row.ok_or(StoreError::NotFound)?);
                if row.token.is_some() && row.valid_from.is_some_and(|t| t.0 >= stale_before) {
                    return Ok(row);
                }
                let mut tx = self.begin_write().await?;
                // Another request may have re-signed it meanwhile: look again under the lock.
                let again: Option<ListTuple> = sqlx::query_as(&format!(
                    "SELECT {LIST_COLUMNS} FROM status_lists WHERE office_id = $1 AND list_no = $2"
                ))
                .bind(office_id)
                .bind(list_no)
                .fetch_optional(&mut *tx)
                .await?;
                let again = list_row(again.ok_or(StoreError::NotFound)?);
                if again.token.is_some() && again.valid_from.is_some_and(|t| t.0 >= stale_before)
                {
                    return Ok(again);
                }
                let row = Self::republish(&mut tx, office_id, list_no, publish).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn fresh_trust_list(
                &self,
                force: bool,
                due_before: i64,
                build: &TrustFn<'_>,
            ) -> Result<TrustListRow> {
                // Readers never wait for writers: the latest list is read from the read pool,
                // and only a list that is due takes the write path (SQLite's single writer).
                if !force {
                    let (changes,): (i64,) =
                        sqlx::query_as("SELECT generation FROM trust_list_changes WHERE id = 1")
                            .fetch_one(&self.pool)
                            .await?;
                    let latest: Option<(i64, String, i64, i64, i64)> = sqlx::query_as(
                        "SELECT sequence, token, issued_at, next_update, generation \
                         FROM trust_lists ORDER BY sequence DESC LIMIT 1",
                    )
                    .fetch_optional(&self.pool)
                    .await?;
                    if let Some((sequence, token, issued_at, next_update, generation)) = latest {
                        if next_update >= due_before && generation >= changes {
                            return Ok(TrustListRow {
                                sequence,
                                token,
                                issued_at: UnixTime(issued_at),
                                next_update: UnixTime(next_update),
                            });
                        }
                    }
                }
                let mut tx = self.begin_write().await?;
                // The change counter is read before the data the list is built from, so a
                // change committed in between only causes one more re-signing, never a miss.
                let (changes,): (i64,) =
                    sqlx::query_as("SELECT generation FROM trust_list_changes WHERE id = 1")
                        .fetch_one(&mut *tx)
                        .await?;
                let latest: Option<(i64, String, i64, i64, i64)> = sqlx::query_as(
                    "SELECT sequence, token, issued_at, next_update, generation FROM trust_lists \
                     ORDER BY sequence DESC LIMIT 1",
                )
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((sequence, token, issued_at, next_update, generation)) = &latest {
                    if !force && *next_update >= due_before && *generation >= changes {
                        return Ok(TrustListRow {
                            sequence: *sequence,
                            token: token.clone(),
                            issued_at: UnixTime(*issued_at),
                            next_update: UnixTime(*next_update),
                        });
                    }
                }
                let sequence = latest.map_or(1, |l| l.0 + 1);
                let (offices, keys, lists) = Self::trust_inputs(&mut tx).await?;
                let (token, issued_at, next_update) = build(sequence, &offices, &keys, &lists)?;
                // Two instances re-signing at once: the second inserts nothing and serves the
                // list the first one signed.
                let done = sqlx::query(
                    "INSERT INTO trust_lists (sequence, token, issued_at, next_update, generation) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(sequence)
                .bind(&token)
                .bind(issued_at.0)
                .bind(next_update.0)
                .bind(changes)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                if done.rows_affected() == 0 {
                    let (sequence, token, issued_at, next_update): (i64, String, i64, i64) =
                        sqlx::query_as(
                            "SELECT sequence, token, issued_at, next_update FROM trust_lists \
                             ORDER BY sequence DESC LIMIT 1",
                        )
                        .fetch_one(&self.pool)
                        .await?;
                    return Ok(TrustListRow {
                        sequence,
                        token,
                        issued_at: UnixTime(issued_at),
                        next_update: UnixTime(next_update),
                    });
                }
                Ok(TrustListRow {
                    sequence,
                    token,
                    issued_at,
                    next_update,
                })
            }

            async fn register_volunteer(
                &self,
                idem: &Idem<'_>,
                v: &VolunteerRow,
                body: &[u8],
                audit: &AuditEntry,
            ) -> Result<Answer> {
                let mut tx = self.begin_write().await?;
                self.rate_in_tx(&mut tx, &v.created_by, v.created_at.0).await?;
                if let Some(answer) = Self::idem_lookup(&mut tx, idem).await? {
                    return Ok(answer);
                }
                if !Self::insert_volunteer(&mut tx, v).await? {
                    let (id,): (String,) =
                        sqlx::query_as("SELECT id FROM volunteers WHERE iin_index = $1")
                            .bind(&v.iin_index)
                            .fetch_one(&mut *tx)
                            .await?;
                    return Err(StoreError::VolunteerExists(id));
                }
                Self::idem_store(&mut tx, idem, 201, body, v.created_at.0).await?;
                Self::audit_append(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(Answer::Fresh(body.to_vec()))
            }

            async fn volunteer(&self, id: &str) -> Result<Option<VolunteerRow>> {
                let row: Option<VolTuple> =
                    sqlx::query_as(&format!("SELECT {VOL_COLUMNS} FROM volunteers WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(vol_row))
            }

            async fn volunteer_by_iin_index(&self, index: &[u8]) -> Result<Option<VolunteerRow>> {
                let row: Option<VolTuple> = sqlx::query_as(&format!(
                    "SELECT {VOL_COLUMNS} FROM volunteers WHERE iin_index = $1"
                ))
                .bind(index)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(vol_row))
            }

            async fn find_volunteers(
                &self,
                needle: &str,
                office: Option<&str>,
                after: Option<&str>,
                limit: i64,
            ) -> Result<Vec<VolunteerRow>> {
                let rows: Vec<VolTuple> = sqlx::query_as(&format!(
                    "SELECT {VOL_COLUMNS} FROM volunteers v WHERE name_search LIKE $1 ESCAPE '\\' \
                     AND ($2 IS NULL OR id > $2) AND ($4 IS NULL OR {IN_OFFICE}) \
                     ORDER BY id LIMIT $3"
                ))
                .bind(like_pattern(needle))
                .bind(after)
                .bind(limit)
                .bind(office)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(vol_row).collect())
            }

            async fn append_audit(&self, audit: &AuditEntry) -> Result<()> {
                let mut tx = self.begin_write().await?;
                Self::audit_append(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn issue_linked(
                &self,
                idem: &Idem<'_>,
                new: &NewCredential<'_>,
                facts: &NewFacts,
                caps: &HoursCaps,
                sign: &SignFn<'_>,
                audit: &AuditEntry,
            ) -> Result<Answer> {
                let mut tx = self.begin_write().await?;
                self.rate_in_tx(&mut tx, new.issued_by, new.issued_at.0).await?;
                if let Some(answer) = Self::idem_lookup(&mut tx, idem).await? {
                    return Ok(answer);
                }
                let one = |_: usize, p: &Placement<'_>, linked: Option<&Linked>| sign(p, linked);
                let mut issued = Self::issue_all(
                    &mut tx,
                    std::slice::from_ref(new),
                    std::slice::from_ref(facts),
                    caps,
                    std::slice::from_ref(audit),
                    &one,
                )
                .await?;
                let body = issued
                    .pop()
                    .ok_or(StoreError::Corrupt("issued item"))?
                    .map_err(StoreError::Refused)?
                    .extra;
                Self::idem_store(&mut tx, idem, new.status, &body, new.issued_at.0).await?;
                tx.commit().await?;
                Ok(Answer::Fresh(body))
            }

            async fn issue_batch_linked(
                &self,
                idem: &Idem<'_>,
                items: &[NewCredential<'_>],
                facts: &[NewFacts],
                caps: &HoursCaps,
                audits: &[AuditEntry],
                sign: &BatchSignFn<'_>,
                respond: &BatchRespondFn<'_>,
            ) -> Result<Answer> {
                let mut tx = self.begin_write().await?;
                if let Some(first) = items.first() {
                    self.rate_in_tx(&mut tx, first.issued_by, first.issued_at.0).await?;
                }
                if let Some(answer) = Self::idem_lookup(&mut tx, idem).await? {
                    return Ok(answer);
                }
                let one = |i: usize, p: &Placement<'_>, _: Option<&Linked>| sign(i, p);
                let issued = Self::issue_all(&mut tx, items, facts, caps, audits, &one).await?;
                let done: Vec<std::result::Result<Placed, Refusal>> = issued
                    .into_iter()
                    .map(|outcome| {
                        outcome.map(|x| Placed {
                            index: x.index,
                            list_url: x.list_url,
                            token: x.extra,
                            volunteer: x.volunteer,
                        })
                    })
                    .collect();
                let body = respond(&done);
                let now = items.first().map_or(0, |n| n.issued_at.0);
                Self::idem_store(&mut tx, idem, 200, &body, now).await?;
                tx.commit().await?;
                Ok(Answer::Fresh(body))
            }

            async fn volunteers_by_iin_indices(
                &self,
                indices: &[Vec<u8>],
            ) -> Result<Vec<VolunteerRow>> {
                let mut out = Vec::new();
                for chunk in indices.chunks(500) {
                    let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                    let sql = format!(
                        "SELECT {VOL_COLUMNS} FROM volunteers WHERE iin_index IN ({})",
                        marks.join(", ")
                    );
                    let mut q = sqlx::query_as::<_, VolTuple>(&sql);
                    for index in chunk {
                        q = q.bind(index);
                    }
                    out.extend(q.fetch_all(&self.pool).await?.into_iter().map(vol_row));
                }
                Ok(out)
            }

            async fn list_credentials(
                &self,
                f: &CredentialFilter<'_>,
            ) -> Result<Vec<(CredentialRow, Option<String>)>> {
                type Row = (
                    String,
                    String,
                    String,
                    String,
                    i64,
                    i64,
                    i64,
                    String,
                    Option<i64>,
                    Option<String>,
                    Option<String>,
                );
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT c.id, c.office_id, c.kind, c.format, c.list_no, c.status_index, \
                     c.issued_at, c.issued_by, c.revoked_at, c.revoked_reason, f.volunteer_id \
                     FROM credentials c LEFT JOIN credential_facts f ON f.credential_id = c.id \
                     WHERE ($1 IS NULL OR c.office_id = $1) AND ($2 IS NULL OR c.kind = $2) \
                     AND ($3 IS NULL OR f.volunteer_id = $3) \
                     AND ($4 IS NULL OR ($4 = 1 AND c.revoked_at IS NOT NULL) \
                          OR ($4 = 0 AND c.revoked_at IS NULL)) \
                     AND ($5 IS NULL OR c.issued_at >= $5) AND ($6 IS NULL OR c.issued_at < $6) \
                     AND ($7 IS NULL OR c.issued_at < $7 OR (c.issued_at = $7 AND c.id < $8)) \
                     ORDER BY c.issued_at DESC, c.id DESC LIMIT $9",
                )
                .bind(f.office)
                .bind(f.kind.map(CredentialKind::type_name))
                .bind(f.volunteer)
                .bind(f.revoked.map(i64::from))
                .bind(f.issued_after)
                .bind(f.issued_before)
                .bind(f.after.map(|a| a.0))
                .bind(f.after.map(|a| a.1))
                .bind(f.limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok((
                            CredentialRow {
                                kind: stored_kind(&r.2, "credentials.kind")?,
                                format: stored_format(&r.3)?,
                                id: r.0,
                                office_id: r.1,
                                token: String::new(),
                                list_no: r.4,
                                status_index: r.5,
                                issued_at: UnixTime(r.6),
                                issued_by: r.7,
                                revoked_at: r.8.map(UnixTime),
                                revoked_reason: r.9,
                            },
                            r.10,
                        ))
                    })
                    .collect()
            }

            async fn credential_volunteer(&self, id: &str) -> Result<Option<String>> {
                let row: Option<(Option<String>,)> = sqlx::query_as(
                    "SELECT volunteer_id FROM credential_facts WHERE credential_id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.and_then(|r| r.0))
            }

            async fn volunteer_in_office(
                &self,
                volunteer_id: &str,
                office_id: &str,
            ) -> Result<bool> {
                let row: Option<(String,)> = sqlx::query_as(&format!(
                    "SELECT v.id FROM volunteers v WHERE v.id = $1 AND {}",
                    IN_OFFICE.replace("$4", "$2")
                ))
                .bind(volunteer_id)
                .bind(office_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.is_some())
            }

            async fn operator_office(&self, operator_id: &str) -> Result<Option<String>> {
                let row: Option<(Option<String>,)> =
                    sqlx::query_as("SELECT office_id FROM operators WHERE id = $1")
                        .bind(operator_id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.and_then(|r| r.0))
            }

            async fn update_volunteer(&self, v: &VolunteerRow, audit: &AuditEntry) -> Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE volunteers SET name_kk = $1, name_ru = $2, name_en = $3, \
                     name_search = $4, email = $5, phone = $6, region = $7 WHERE id = $8",
                )
                .bind(&v.name_kk)
                .bind(&v.name_ru)
                .bind(&v.name_en)
                .bind(&v.name_search)
                .bind(&v.email)
                .bind(&v.phone)
                .bind(&v.region)
                .bind(&v.id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Self::audit_append(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn office_credential_types(
                &self,
                office_id: &str,
            ) -> Result<Option<Vec<CredentialKind>>> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT credential_types FROM offices WHERE id = $1")
                        .bind(office_id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(|(t,)| stored_types(&t)).transpose()
            }

            async fn set_credential_types(
                &self,
                office_id: &str,
                types: &[CredentialKind],
                audit: &AuditEntry,
            ) -> Result<bool> {
                let text = types_column(types);
                let mut tx = self.begin_write().await?;
                let row: Option<(String,)> = sqlx::query_as(&format!(
                    "SELECT credential_types FROM offices WHERE id = $1{}",
                    $update
                ))
                .bind(office_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((current,)) = row else {
                    return Err(StoreError::NotFound);
                };
                if stored_types(&current)? == types {
                    return Ok(false);
                }
                sqlx::query("UPDATE offices SET credential_types = $1 WHERE id = $2")
                    .bind(&text)
                    .bind(office_id)
                    .execute(&mut *tx)
                    .await?;
                Self::trust_changed(&mut tx).await?;
                Self::audit_append(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn volunteer_facts(
                &self,
                volunteer_id: &str,
                office: Option<&str>,
            ) -> Result<Vec<FactRow>> {
                type Row = (
                    String,
                    String,
                    String,
                    Option<f64>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    i64,
                );
                // No ORDER BY: SQLite would then walk every credential in issue order; the
                // volunteer's rows (found through the facts index) are sorted here instead.
                let mut rows: Vec<Row> = sqlx::query_as(
                    "SELECT c.id, c.kind, c.office_id, f.hours, f.category, f.period_end, f.entry, \
                     c.issued_at FROM credential_facts f JOIN credentials c ON c.id = f.credential_id \
                     WHERE f.volunteer_id = $1 AND c.revoked_at IS NULL \
                     AND ($2 IS NULL OR c.office_id = $2)",
                )
                .bind(volunteer_id)
                .bind(office)
                .fetch_all(&self.pool)
                .await?;
                rows.sort_by(|a, b| (a.7, &a.0).cmp(&(b.7, &b.0)));
                rows.into_iter()
                    .map(|r| {
                        Ok(FactRow {
                            kind: stored_kind(&r.1, "credentials.kind")?,
                            credential_id: r.0,
                            office_id: r.2,
                            hours: r.3,
                            category: r.4,
                            period_end: r.5,
                            entry: r.6,
                        })
                    })
                    .collect()
            }

            async fn rotate_root(
                &self,
                next: &NextRoot,
                build: &TrustFn<'_>,
                audit: &AuditEntry,
            ) -> Result<TrustListRow> {
                let mut tx = self.begin_write().await?;
                let (changes,): (i64,) =
                    sqlx::query_as("SELECT generation FROM trust_list_changes WHERE id = 1")
                        .fetch_one(&mut *tx)
                        .await?;
                let (latest,): (Option<i64>,) =
                    sqlx::query_as("SELECT MAX(sequence) FROM trust_lists")
                        .fetch_one(&mut *tx)
                        .await?;
                let sequence = latest.unwrap_or(0) + 1;
                let (offices, keys, lists) = Self::trust_inputs(&mut tx).await?;
                let (token, issued_at, next_update) = build(sequence, &offices, &keys, &lists)?;
                sqlx::query(
                    "INSERT INTO trust_lists (sequence, token, issued_at, next_update, generation) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(sequence)
                .bind(&token)
                .bind(issued_at.0)
                .bind(next_update.0)
                .bind(changes)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO root_rotations (sequence, token, old_did, new_did, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(sequence)
                .bind(&token)
                .bind(&next.previous_did)
                .bind(&next.did)
                .bind(next.at)
                .execute(&mut *tx)
                .await?;
                // The current root is the latest `created_at`: strictly after every other.
                let (newest,): (Option<i64>,) =
                    sqlx::query_as("SELECT MAX(created_at) FROM root_keys")
                        .fetch_one(&mut *tx)
                        .await?;
                sqlx::query(
                    "INSERT INTO root_keys (did, sealed_private, created_at) VALUES ($1, $2, $3)",
                )
                .bind(&next.did)
                .bind(&next.sealed)
                .bind(next.at.max(newest.unwrap_or(0) + 1))
                .execute(&mut *tx)
                .await?;
                Self::audit_append(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(TrustListRow {
                    sequence,
                    token,
                    issued_at,
                    next_update,
                })
            }

            async fn root_chain(&self) -> Result<Vec<String>> {
                let rows: Vec<(String,)> =
                    sqlx::query_as("SELECT token FROM root_rotations ORDER BY sequence")
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows.into_iter().map(|r| r.0).collect())
            }
        }
    };
}

impl_store!(SqliteStore, sqlx::Sqlite, "", "");
impl_store!(PgStore, sqlx::Postgres, " FOR SHARE", " FOR UPDATE");

#[cfg(test)]
mod tests {
    use super::*;

    fn is_corrupt<T: std::fmt::Debug>(got: Result<T>, column: &str) -> bool {
        matches!(got, Err(StoreError::Corrupt(c)) if c == column)
    }

    #[test]
    fn kinds_and_formats_round_trip_through_their_stored_text() {
        for kind in CredentialKind::ALL {
            assert_eq!(
                stored_kind(kind.type_name(), "credentials.kind").unwrap(),
                kind
            );
        }
        for format in Format::ALL {
            assert_eq!(stored_format(format.as_str()).unwrap(), format);
        }
        for types in [
            &CredentialKind::ALL[..],
            &[CredentialKind::Hours, CredentialKind::Passport][..],
            &[][..],
        ] {
            assert_eq!(stored_types(&types_column(types)).unwrap(), types);
        }
    }

    #[test]
    fn roles_and_key_states_round_trip_through_their_stored_text() {
        for role in [Role::Admin, Role::Auditor, Role::Officer("kz-75".into())] {
            let office = role.office().map(str::to_owned);
            assert_eq!(stored_role(role.name(), office).unwrap(), role);
        }
        for state in [
            KeyState::Active,
            KeyState::Retired { at: UnixTime(1) },
            KeyState::Compromised { at: UnixTime(2) },
        ] {
            let (name, at) = key_state_columns(state);
            assert_eq!(stored_key_state(name, at).unwrap(), state);
        }
    }

    #[test]
    fn reject_unknown_stored_values_as_corrupt() {
        assert!(is_corrupt(
            stored_kind("VolunteerCredential", "credentials.kind"),
            "credentials.kind"
        ));
        // An unknown format is refused, never read as SD-JWT.
        for name in ["", "SD-JWT", "vc+jwt", "jwe"] {
            assert!(
                is_corrupt(stored_format(name), "credentials.format"),
                "{name}"
            );
        }
        assert!(is_corrupt(stored_role("root", None), "operators.role"));
        assert!(is_corrupt(stored_role("officer", None), "operators.role"));
        assert!(is_corrupt(
            stored_role("admin", Some("kz-75".into())),
            "operators.role"
        ));
        assert!(is_corrupt(
            stored_key_state("revoked", Some(1)),
            "office_keys.state"
        ));
        assert!(is_corrupt(
            stored_key_state("retired", None),
            "office_keys.state"
        ));
        for text in ["", "[\"Mystery\"]", "{}", "[1]"] {
            assert!(
                is_corrupt(stored_types(text), "offices.credential_types"),
                "{text}"
            );
        }
    }
}
