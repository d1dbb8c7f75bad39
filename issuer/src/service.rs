//! The issuer's domain logic between HTTP and storage: first-start bootstrap, opening the
//! office keys, issuance, revocation, and the signed documents verifiers download (status
//! lists, the trust list, DID documents). HTTP handlers parse and call in here.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::{json, Map, Value};
use vpass_credential::issue::{Format, Issuance};
use vpass_credential::keys::{PublicKey, Signer, SigningKey};
use vpass_credential::limits::{
    MAX_CSV_COLUMNS, MAX_CSV_COLUMN_NAME, MAX_CSV_PATH_SEGMENTS, MAX_CSV_ROW,
};
use vpass_credential::model::{
    self, Credential, CredentialKind, StatusEntry, StatusPurpose, Subject,
};
use vpass_credential::status::{self, StatusList};
use vpass_credential::text::{self, Lines};
use vpass_credential::time::{Clock, SystemClock, UnixTime};
use vpass_credential::trust::{self, Names, OfficeKey, TrustList};

use crate::audit::{self, AuditEntry};
use crate::crypto::{self, Kek};
use crate::http::error::{ApiError, ProblemCode};
use crate::metrics::Metrics;
use crate::offices;
use crate::store::{
    ActiveKey, Answer, Bootstrap, CredentialRow, Idem, KeyRow, Linked, NewCredential, NewFacts,
    NewHours, NewOperator, OfficeRow, OfficeSeed, PgStore, Placed, Placement, Revocation, Rotation,
    Signed, SqliteStore, StatusListRow, Store, StoreError, VolunteerLink,
};
use crate::types::KeyState;
use crate::volunteers::{self, HoursCaps, Refusal};

mod register;
mod root;

/// Entries in each status list (the W3C minimum, 16 KiB).
pub const STATUS_LIST_SIZE: i64 = status::MIN_ENTRIES as i64;
/// A status list credential is valid this long after signing.
pub const STATUS_LIST_VALIDITY: i64 = 7 * 24 * 3600;
/// A status list is re-signed when its signature is older than this.
pub const STATUS_LIST_REFRESH: i64 = 24 * 3600;
/// A trust list's `nextUpdate` is this long after signing.
pub const TRUST_LIST_VALIDITY: i64 = 7 * 24 * 3600;
/// A trust list is re-signed (next sequence) when its `nextUpdate` is closer than this.
pub const TRUST_LIST_REFRESH_MARGIN: i64 = 6 * 24 * 3600;
/// File the first start writes the admin token to.
pub const INITIAL_ADMIN_TOKEN_FILE: &str = "initial-admin-token";
/// The national office's short id.
pub const NATIONAL: &str = "national";
/// Longest accepted revocation reason, in characters.
pub const MAX_REASON: usize = 500;
/// Most rows in one batch.
pub const MAX_BATCH_ROWS: usize = 10_000;
/// A new office key's `validFrom` is this many seconds before its creation, so that requests
/// already in flight (whose `iat` was taken before the rotation committed) and instances with
/// a slightly slow clock sign credentials the key verifies. A fresh key cannot have signed
/// anything earlier, so this opens nothing to forgers.
pub const KEY_BACKDATE: i64 = 300;
pub use crate::store::RATE_WINDOW;
pub use root::RootRotated;
/// Default requests per operator per minute.
pub const DEFAULT_RATE_LIMIT: u32 = 100_000;
/// Default unauthenticated or failed-authentication requests per client address per minute.
pub const DEFAULT_AUTH_FAILURE_LIMIT: u32 = 100;
/// Purpose of the key (derived from the KEK) of the idempotency records' request hashes.
pub const REQUEST_HASH_PURPOSE: &str = "vpass/v1/idempotency/request-hash";
/// Default time a client has to send a request's header, in seconds.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 30;
/// Default time a client has to send a request's body, in seconds (a 16 MiB batch at
/// 1.2 Mbit/s).
pub const DEFAULT_BODY_READ_TIMEOUT_SECS: u64 = 120;
/// Default most connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default time a graceful stop waits for requests in progress, in seconds.
pub const DEFAULT_SHUTDOWN_TIMEOUT_SECS: u64 = 30;
/// Default retention of idempotency records, in days.
pub const DEFAULT_IDEMPOTENCY_RETENTION_DAYS: u32 = 7;

/// How the service is configured (flags and environment of `vpass serve`).
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…`; default: SQLite file `vpass.db` in `data_dir`.
    pub database_url: Option<String>,
    /// Folder for the database, the KEK file and the initial admin token.
    pub data_dir: PathBuf,
    /// Public base URL (status-list URLs are built from it); default `http://localhost:<port>`.
    pub public_url: Option<String>,
    /// The national office's DID; default `did:web:` of the public URL's host and port.
    pub office_did: Option<String>,
    /// Requests per operator (API token) per minute; 0 = unlimited.
    pub rate_limit_per_minute: u32,
    /// Unauthenticated or failed-authentication requests per client address per minute;
    /// 0 = unlimited.
    pub auth_failures_per_minute: u32,
    /// Days an idempotency record is kept; a retry after that is a new request. 0 = forever.
    pub idempotency_retention_days: u32,
    /// Most hours one credential may certify (check `HOURS_OVER_CAP`).
    pub max_hours_per_credential: f64,
    /// Most hours of one volunteer on one day (check `DAILY_HOURS_OVER_CAP`).
    pub max_hours_per_day: f64,
    /// Time a client has to send a request's header; then the connection is closed.
    pub header_read_timeout: Duration,
    /// Time a client has to send a request's body; then `408 BODY_TIMEOUT`.
    pub body_read_timeout: Duration,
    /// Most connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Time a graceful stop (Ctrl-C, SIGTERM) waits for requests in progress before it
    /// closes their connections.
    pub shutdown_timeout: Duration,
    /// A second address serving `GET /metrics` without a token (for an internal network);
    /// none by default (the API's `/metrics` needs an admin's or auditor's token).
    pub metrics_listen: Option<SocketAddr>,
}

impl Config {
    /// The defaults: 127.0.0.1:8080, `./vpass-data`.
    pub fn default_with_data_dir(data_dir: PathBuf) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            data_dir,
            public_url: None,
            office_did: None,
            rate_limit_per_minute: DEFAULT_RATE_LIMIT,
            auth_failures_per_minute: DEFAULT_AUTH_FAILURE_LIMIT,
            idempotency_retention_days: DEFAULT_IDEMPOTENCY_RETENTION_DAYS,
            max_hours_per_credential: volunteers::DEFAULT_MAX_HOURS_PER_CREDENTIAL,
            max_hours_per_day: volunteers::DEFAULT_MAX_HOURS_PER_DAY,
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
            body_read_timeout: Duration::from_secs(DEFAULT_BODY_READ_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_timeout: Duration::from_secs(DEFAULT_SHUTDOWN_TIMEOUT_SECS),
            metrics_listen: None,
        }
    }

    /// The limits part of the configuration.
    pub fn limits(&self) -> Limits {
        Limits {
            rate_limit_per_minute: self.rate_limit_per_minute,
            auth_failures_per_minute: self.auth_failures_per_minute,
            idempotency_retention_days: self.idempotency_retention_days,
            body_read_timeout: self.body_read_timeout,
        }
    }

    /// The caps of the plausibility checks.
    pub fn caps(&self) -> HoursCaps {
        HoursCaps {
            max_hours_per_credential: self.max_hours_per_credential,
            max_hours_per_day: self.max_hours_per_day,
        }
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("vpass.db").display()))
    }

    /// The public URL in effect (no trailing slash).
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://localhost:{}", self.listen.port()),
        }
    }
}

/// `did:web` of a URL's host (and port, percent-encoded), as the did:web method spec says.
pub fn did_web_for(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    Some(format!("did:web:{}", host.replace(':', "%3A")))
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The data folder or a file in it.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The KEK.
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The configuration.
    #[error("configuration: {0}")]
    Config(String),
    /// The data folder may be accessed by group or others (it holds the database and the
    /// key-encryption key).
    #[error(
        "the data folder {path} is open to other users (mode {mode:o}); make it private \
         with `chmod 700 {path}` (and `chmod 600` its files) and start again",
        path = path.display()
    )]
    DataDirNotPrivate {
        /// The folder.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

/// An authenticated operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
}

pub use crate::types::Role;

impl Role {
    /// The office this role issues for (`None`: may not write).
    fn issuing_office(&self) -> Option<&str> {
        match self {
            Role::Admin => Some(NATIONAL),
            Role::Officer(o) => Some(o),
            Role::Auditor => None,
        }
    }

    /// Which credentials the role may see and revoke: `Some(office)`, or all (`None`).
    fn scope(&self) -> Option<&str> {
        match self {
            Role::Officer(o) => Some(o),
            _ => None,
        }
    }
}

/// Rate limits and retention (see [`Config`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests per operator per minute; 0 = unlimited.
    pub rate_limit_per_minute: u32,
    /// Unauthenticated or failed-authentication requests per client address per minute.
    pub auth_failures_per_minute: u32,
    /// Days an idempotency record is kept; 0 = forever.
    pub idempotency_retention_days: u32,
    /// Time a client has to send a request's body.
    pub body_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            rate_limit_per_minute: DEFAULT_RATE_LIMIT,
            auth_failures_per_minute: DEFAULT_AUTH_FAILURE_LIMIT,
            idempotency_retention_days: DEFAULT_IDEMPOTENCY_RETENTION_DAYS,
            body_read_timeout: Duration::from_secs(DEFAULT_BODY_READ_TIMEOUT_SECS),
        }
    }
}

/// The running issuer: storage, office keys, root key, clock.
pub struct Service {
    store: Arc<dyn Store>,
    offices: HashMap<String, OfficeRow>,
    /// Office keys opened so far, by kid. Which one signs is read from the database in each
    /// transaction (the office's active key), so a rotation elsewhere takes effect at once.
    signers: RwLock<HashMap<String, Arc<SigningKey>>>,
    /// Opens office keys; seals national IDs, stored tokens and stored answers.
    kek: Kek,
    limits: Limits,
    root: SigningKey,
    public_url: String,
    clock: Box<dyn Clock + Send + Sync>,
    /// The key of the IIN blind index, derived from the KEK.
    blind_key: [u8; 32],
    /// The key of the idempotency records' request hashes, derived from the KEK.
    request_key: [u8; 32],
    /// The caps of the plausibility checks.
    caps: HoursCaps,
    /// This instance's Prometheus metrics.
    metrics: Metrics,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("store", &self.store)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// The result of opening the service.
#[derive(Debug)]
pub struct Opened {
    /// The service.
    pub service: Service,
    /// Set on the first start: the file holding the initial admin token.
    pub initial_admin_token: Option<PathBuf>,
    /// Where the KEK came from.
    pub kek_source: String,
}

/// Connect to the database named by `url`.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    }
}

fn io_err<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> StartError + 'a {
    move |source| StartError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// Open the data folder and database, bootstrapping on the first start.
pub async fn open(config: &Config) -> Result<Opened, StartError> {
    crate::datadir::prepare(&config.data_dir, &config.database_url())?;
    let store = connect(&config.database_url()).await?;
    store.migrate().await?;
    let fresh = store.setting("public_url").await?.is_none();
    let (kek, kek_source) = Kek::load(&config.data_dir, fresh)?;
    let clock: Box<dyn Clock + Send + Sync> = Box::new(SystemClock);
    let mut initial_admin_token = None;
    if fresh {
        initial_admin_token = Some(bootstrap(config, store.as_ref(), &kek, clock.now()).await?);
    }
    let service = Service::load(store, &kek, clock)
        .await?
        .with_limits(config.limits())
        .with_caps(config.caps());
    service
        .trust_list(initial_admin_token.is_some())
        .await
        .map_err(|e| StartError::Config(format!("signing the trust list failed: {e}")))?;
    Ok(Opened {
        service,
        initial_admin_token,
        kek_source,
    })
}

async fn bootstrap(
    config: &Config,
    store: &dyn Store,
    kek: &Kek,
    now: UnixTime,
) -> Result<PathBuf, StartError> {
    let public_url = config.public_url();
    let did = match &config.office_did {
        Some(d) => d.clone(),
        None => did_web_for(&public_url)
            .ok_or_else(|| StartError::Config(format!("{public_url} is not an http(s) URL")))?,
    };
    if !did.starts_with("did:web:") || did.contains('#') {
        return Err(StartError::Config(format!("{did} is not a did:web DID")));
    }
    let root = SigningKey::generate_ed25519();
    let root_did = root.public().did_key();
    let all_types = CredentialKind::ALL.to_vec();
    let regional_types = REGIONAL_TYPES.to_vec();
    let national = OfficeRow {
        id: NATIONAL.into(),
        did: did.clone(),
        name_kk: "Ұлттық волонтерлік орталық".into(),
        name_ru: "Национальный волонтёрский центр".into(),
        name_en: "National Volunteer Centre".into(),
        region: None,
        credential_types: all_types.clone(),
    };
    let mut seeds = vec![office_seed(national, &public_url, kek, now)];
    for (code, kk, ru, en) in offices::REGIONS {
        let id = offices::office_id(code);
        let (name_kk, name_ru, name_en) = offices::office_names(kk, ru, en);
        let office = OfficeRow {
            did: format!("{did}:offices:{id}"),
            id,
            name_kk,
            name_ru,
            name_en,
            region: Some(code.to_owned()),
            credential_types: regional_types.clone(),
        };
        seeds.push(office_seed(office, &public_url, kek, now));
    }
    let (token, token_id, token_hash) = crypto::new_api_token();
    let admin_id = crypto::random_uuid();
    let b = Bootstrap {
        audit: AuditEntry {
            at: now.0,
            actor: "system".into(),
            action: "service.bootstrap".into(),
            office_id: None,
            subject: Some(root_did.clone()),
            request_id: None,
            detail: Some(format!(
                "{} offices, first admin {admin_id}",
                offices::REGIONS.len() + 1
            )),
        },
        settings: vec![("public_url".into(), public_url.clone())],
        root_sealed: kek.seal(
            &format!("root:{root_did}"),
            root.to_private_jwk().to_string().as_bytes(),
        ),
        root_did,
        offices: seeds,
        admin: (admin_id, "admin".into()),
        admin_token: (token_id, token_hash),
        now: now.0,
    };
    // The token file is written before the commit so that a committed admin always has a
    // token on disk; a file left by a start that died before committing is worthless.
    let path = config.data_dir.join(INITIAL_ADMIN_TOKEN_FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("removing", &path)(e)),
    }
    crypto::write_private_file(&path, format!("{token}\n").as_bytes())
        .map_err(io_err("writing", &path))?;
    if let Err(e) = store.bootstrap(&b).await {
        let _ = std::fs::remove_file(&path);
        return Err(e.into());
    }
    Ok(path)
}

/// What a regional office may issue at first start: hours and skills, and the passport
/// summary (built from the register by the passport endpoint only, see `check_issue`).
/// Awards are national: only the national office issues them until an admin says otherwise
/// (`PUT /api/v1/offices/{office}/credential-types`).
pub const REGIONAL_TYPES: [CredentialKind; 3] = [
    CredentialKind::Hours,
    CredentialKind::Skill,
    CredentialKind::Passport,
];

fn type_names(kinds: &[CredentialKind]) -> Vec<String> {
    kinds.iter().map(|k| k.type_name().to_owned()).collect()
}

/// Parse `{"credential_types": [...]}`: known vpass type names without repeats, in
/// [`CredentialKind::ALL`] order.
pub fn parse_credential_types(body: &[u8]) -> Result<Vec<CredentialKind>, ApiError> {
    let value = vpass_credential::json::parse(body, "body")
        .map_err(|e| ApiError::from_credential(&e, ""))?;
    let obj = value.as_object().ok_or_else(|| {
        ApiError::bad_request(
            ProblemCode::INVALID_FIELD,
            "the body must be {\"credential_types\": [...]}",
        )
    })?;
    if let Some(k) = obj.keys().find(|k| *k != "credential_types") {
        return Err(ApiError::invalid_field(k, "is not a known member"));
    }
    let Some(Value::Array(items)) = obj.get("credential_types") else {
        return Err(ApiError::invalid_field(
            "credential_types",
            "is required: an array of vpass credential type names",
        ));
    };
    let mut kinds = Vec::new();
    for item in items {
        let kind = item
            .as_str()
            .and_then(CredentialKind::from_type_name)
            .ok_or_else(|| {
                ApiError::invalid_field("credential_types", "names a type vpass does not know")
            })?;
        if kinds.contains(&kind) {
            return Err(ApiError::invalid_field(
                "credential_types",
                "names a type twice",
            ));
        }
        kinds.push(kind);
    }
    Ok(CredentialKind::ALL
        .into_iter()
        .filter(|k| kinds.contains(k))
        .collect())
}

/// An office with a fresh Ed25519 key (`<did>#key-1`, sealed) and its first status list.
fn office_seed(office: OfficeRow, public_url: &str, kek: &Kek, now: UnixTime) -> OfficeSeed {
    let kid = format!("{}#key-1", office.did);
    let key = SigningKey::generate_ed25519().with_kid(kid.clone());
    let sealed = kek.seal(
        &format!("office-key:{kid}"),
        key.to_private_jwk().to_string().as_bytes(),
    );
    OfficeSeed {
        key: KeyRow {
            kid,
            office_id: office.id.clone(),
            public_jwk: key.public().to_jwk().to_string(),
            sealed_private: sealed,
            valid_from: now,
            state: KeyState::Active,
        },
        status_list: StatusListRow {
            office_id: office.id.clone(),
            list_no: 1,
            url: format!("{public_url}/status/{}/1", office.id),
            size: STATUS_LIST_SIZE,
            token: None,
            valid_from: None,
            valid_until: None,
            used: 0,
        },
        office,
    }
}

/// Create an operator and return its API token (shown once). `role` is `admin`, `officer`
/// (needs `office`) or `auditor`.
pub async fn add_operator(
    store: &dyn Store,
    actor: &str,
    name: &str,
    role: &str,
    office: Option<&str>,
) -> Result<String, StartError> {
    let name = name.trim();
    if let Err(why) = text::check_text(name, model::MAX_TEXT, Lines::One) {
        return Err(StartError::Config(format!(
            "the name {why} (1 to 200 characters, no control or bidi characters)"
        )));
    }
    let role = match (role, office) {
        ("officer", Some(o)) => {
            if !store.offices().await?.iter().any(|row| row.id == o) {
                return Err(StartError::Config(format!(
                    "no office {o:?}; offices are `national` and region codes such as kz-75"
                )));
            }
            Role::Officer(o.to_owned())
        }
        ("officer", None) => {
            return Err(StartError::Config("an officer needs --office".into()));
        }
        ("admin", None) => Role::Admin,
        ("auditor", None) => Role::Auditor,
        ("admin" | "auditor", Some(_)) => {
            return Err(StartError::Config(format!(
                "an {role} is not scoped to an office"
            )));
        }
        _ => {
            return Err(StartError::Config(format!(
                "unknown role {role:?}: admin, officer or auditor"
            )))
        }
    };
    let (token, token_id, token_hash) = crypto::new_api_token();
    let now = SystemClock.now().0;
    let detail = format!("role {}, token {token_id}", role.name());
    let op = NewOperator {
        id: crypto::random_uuid(),
        name: name.to_owned(),
        role,
        token_id: token_id.clone(),
        token_hash,
        now,
    };
    let entry = AuditEntry {
        at: now,
        actor: actor.to_owned(),
        action: "operator.add".into(),
        office_id: op.role.office().map(str::to_owned),
        subject: Some(op.id.clone()),
        request_id: None,
        detail: Some(detail),
    };
    store.add_operator(&op, &entry).await?;
    Ok(token)
}

/// Revoke an API token, given whole or by its id (the 16 hex digits after `vpass_`).
/// `Ok(false)` if there is no such active token.
pub async fn revoke_token(
    store: &dyn Store,
    actor: &str,
    token_or_id: &str,
) -> Result<bool, StartError> {
    let id = crypto::api_token_id(token_or_id).unwrap_or(token_or_id);
    let entry = AuditEntry {
        at: SystemClock.now().0,
        actor: actor.to_owned(),
        action: "token.revoke".into(),
        office_id: None,
        subject: Some(id.to_owned()),
        request_id: None,
        detail: None,
    };
    Ok(store.revoke_token(id, &entry).await?)
}

/// Open the data folder's database without the keys (administration commands).
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartError> {
    // `vpass admin` on PostgreSQL needs no data folder: none is created here.
    if config.data_dir.exists() {
        crate::datadir::prepare(&config.data_dir, &config.database_url())?;
    }
    let store = connect(&config.database_url()).await?;
    store.migrate().await?;
    Ok(store)
}

/// Parse a private JWK stored sealed.
fn open_key(kek: &Kek, label: &str, sealed: &[u8]) -> Result<SigningKey, StartError> {
    let bytes = kek.open(label, sealed)?;
    let jwk = vpass_credential::json::parse(&bytes, "key")
        .map_err(|_| StoreError::Corrupt("sealed key is not JSON"))?;
    Ok(SigningKey::from_jwk(&jwk).map_err(|_| StoreError::Corrupt("sealed key is not a JWK"))?)
}

/// The root key's did:key for the data folder's database (`vpass admin root-key`).
pub async fn root_did(config: &Config) -> Result<Option<String>, StartError> {
    let store = open_store(config).await?;
    Ok(store.root_key().await?.map(|(did, _)| did))
}

/// The signed time (`validFrom`) of a list's next publication: now, or one second after the
/// previous one (read under the list's row lock) if that is not earlier, so that each list's
/// publications strictly increase in time and a verifier can always tell the newer from the
/// older (issue 8, finding 6). Under a burst of more than one re-signing a second, the time
/// runs ahead of the clock by at most the burst's length, well inside verifiers' clock skew.
fn next_signed_time(now: UnixTime, previous: Option<UnixTime>) -> UnixTime {
    match previous {
        Some(p) if p >= now => UnixTime(p.0.saturating_add(1)),
        _ => now,
    }
}

fn now_plus(t: UnixTime, secs: i64) -> UnixTime {
    UnixTime(t.0.saturating_add(secs))
}

/// The `reason` member of a revocation or key rotation: one line of 1 to [`MAX_REASON`]
/// characters under the text rule ([`vpass_credential::text`]), trimmed. It is stored, shown
/// in the API and written to the audit log, so no control or bidi character gets in.
fn parse_reason(obj: &Map<String, Value>) -> Result<String, ApiError> {
    match obj.get("reason") {
        Some(Value::String(r)) => {
            let r = r.trim();
            text::check_text(r, MAX_REASON, Lines::One)
                .map_err(|why| ApiError::invalid_field("reason", why))?;
            Ok(r.to_owned())
        }
        Some(_) => Err(ApiError::invalid_field("reason", "must be a string")),
        None => Err(ApiError::invalid_field("reason", "is required")),
    }
}

/// An office key rotation done: the office's new key and what became of the old one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRotated {
    /// The office.
    pub office: String,
    /// The new key's kid.
    pub kid: String,
    /// Its start of validity.
    pub valid_from: UnixTime,
    /// The old key's kid.
    pub previous_kid: String,
    /// The old key's state now: retired or compromised, with its time.
    pub previous_state: KeyState,
}

impl KeyRotated {
    /// The rotation from the old key's row (as updated) and the new key's.
    fn from_rows(office: &str, old: &KeyRow, new: &KeyRow) -> KeyRotated {
        KeyRotated {
            office: office.to_owned(),
            kid: new.kid.clone(),
            valid_from: new.valid_from,
            previous_kid: old.kid.clone(),
            previous_state: old.state,
        }
    }

    /// The API's answer: `{"office", "kid", "valid_from", "previous": {"kid", "state", "at"}}`.
    pub fn to_json(&self) -> Value {
        json!({
            "office": self.office,
            "kid": self.kid,
            "valid_from": self.valid_from.to_rfc3339(),
            "previous": {
                "kid": self.previous_kid,
                "state": self.previous_state.name(),
                "at": self.previous_state.at().map(UnixTime::to_rfc3339),
            },
        })
    }
}

/// A key-rotation request: `{"reason": "...", "compromised": false, "since": "<RFC 3339>"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateRequest {
    /// Why (1 to 500 characters; goes into the audit log).
    pub reason: String,
    /// The old key leaked: mark it compromised (everything it signed is refused).
    pub compromised: bool,
    /// Since when it is compromised (default now; only with `compromised`).
    pub since: Option<UnixTime>,
}

impl RotateRequest {
    /// Parse the JSON body strictly (unknown members refused).
    pub fn from_json(body: &[u8]) -> Result<RotateRequest, ApiError> {
        let value = vpass_credential::json::parse(body, "body")
            .map_err(|e| ApiError::from_credential(&e, ""))?;
        let obj = value.as_object().ok_or_else(|| {
            ApiError::bad_request(ProblemCode::INVALID_FIELD, "the body must be a JSON object")
        })?;
        if let Some(k) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "reason" | "compromised" | "since"))
        {
            return Err(ApiError::invalid_field(k, "is not a known member"));
        }
        let reason = parse_reason(obj)?;
        let compromised = match obj.get("compromised") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(ApiError::invalid_field(
                    "compromised",
                    "must be true or false",
                ))
            }
        };
        let since = match obj.get("since") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) => Some(
                UnixTime::parse_rfc3339(t)
                    .ok_or_else(|| ApiError::invalid_field("since", "must be an RFC 3339 time"))?,
            ),
            Some(_) => return Err(ApiError::invalid_field("since", "must be an RFC 3339 time")),
        };
        Ok(RotateRequest {
            reason,
            compromised,
            since,
        })
    }
}

/// What an issuance request asks for, checked.
struct IssueRequest {
    /// Checked once, without the `id` and status entry that signing sets.
    credential: Credential,
    holder: Option<PublicKey>,
    format: Format,
    kind: CredentialKind,
    facts: NewFacts,
}

impl Service {
    /// Load offices and decrypt their active keys.
    pub async fn load(
        store: Arc<dyn Store>,
        kek: &Kek,
        clock: Box<dyn Clock + Send + Sync>,
    ) -> Result<Service, StartError> {
        let public_url = store
            .setting("public_url")
            .await?
            .ok_or(StoreError::Corrupt("no public_url"))?;
        let (root_did, sealed) = store
            .root_key()
            .await?
            .ok_or(StoreError::Corrupt("no root key"))?;
        let root = open_key(kek, &format!("root:{root_did}"), &sealed)?;
        let offices: HashMap<String, OfficeRow> = store
            .offices()
            .await?
            .into_iter()
            .map(|o| (o.id.clone(), o))
            .collect();
        let mut signers = HashMap::new();
        // Open the active keys now, so that a wrong KEK is refused at start.
        for key in store.office_keys().await? {
            if key.state == KeyState::Active {
                let signer =
                    open_key(kek, &format!("office-key:{}", key.kid), &key.sealed_private)?
                        .with_kid(key.kid.clone());
                signers.insert(key.kid.clone(), Arc::new(signer));
            }
        }
        store.set_rate_limit(Limits::default().rate_limit_per_minute);
        Ok(Service {
            store,
            offices,
            signers: RwLock::new(signers),
            kek: kek.clone(),
            limits: Limits::default(),
            root,
            public_url,
            clock,
            blind_key: kek.derive(volunteers::BLIND_INDEX_PURPOSE),
            request_key: kek.derive(REQUEST_HASH_PURPOSE),
            caps: HoursCaps::default(),
            metrics: Metrics::new(),
        })
    }

    /// Set the caps of the plausibility checks.
    pub fn with_caps(mut self, caps: HoursCaps) -> Service {
        self.caps = caps;
        self
    }

    /// Replace the clock (tests).
    pub fn with_clock(mut self, clock: Box<dyn Clock + Send + Sync>) -> Service {
        self.clock = clock;
        self
    }

    /// Set the rate limits and retention.
    pub fn with_limits(mut self, limits: Limits) -> Service {
        self.limits = limits;
        self.store.set_rate_limit(limits.rate_limit_per_minute);
        self
    }

    /// The signing key for an office key read in a transaction (opened once, then cached).
    fn signer(&self, key: &ActiveKey) -> Result<Arc<SigningKey>, StoreError> {
        let cached = self
            .signers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key.kid)
            .cloned();
        if let Some(signer) = cached {
            return Ok(signer);
        }
        let signer = open_key(
            &self.kek,
            &format!("office-key:{}", key.kid),
            &key.sealed_private,
        )
        .map_err(|_| StoreError::Corrupt("office key does not open under the KEK"))?
        .with_kid(key.kid.clone());
        let signer = Arc::new(signer);
        self.signers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.kid.clone(), signer.clone());
        Ok(signer)
    }

    /// The storage.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// This instance's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The root key's did:key.
    pub fn root_did(&self) -> String {
        self.root.public().did_key()
    }

    /// Authenticate a bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<Operator, ApiError> {
        let bad = || ApiError::unauthorized("missing, unknown or revoked API token");
        let id = crypto::api_token_id(token).ok_or_else(bad)?;
        let row = self.store.token(id).await?.ok_or_else(bad)?;
        if !crypto::token_matches(token, &row.hash) || row.revoked_at.is_some() {
            return Err(bad());
        }
        Ok(Operator {
            id: row.operator_id,
            name: row.operator_name,
            role: row.role,
        })
    }

    /// Parse, link and check one issuance request given as JSON.
    async fn prepare_issue(
        &self,
        op: &Operator,
        office: &OfficeRow,
        value: Value,
        known: Option<&register::Known>,
    ) -> Result<IssueRequest, ApiError> {
        let mut draft = draft_issue_value(office, value)?;
        let link = self.resolve_link(op, &mut draft, known).await?;
        check_issue(office, draft, link, &self.caps, Origin::Request)
    }
    /// What `op` issues for: its office, with the credential types it may issue as stored
    /// now (an admin may change them while the service runs, on any instance); the key and
    /// status list are chosen in the transaction. Auditors may not issue.
    async fn issuing_context<'a>(
        &'a self,
        op: &'a Operator,
    ) -> Result<(&'a str, OfficeRow), ApiError> {
        let office_id = op
            .role
            .issuing_office()
            .ok_or_else(|| ApiError::forbidden("auditors may not issue"))?;
        let mut office = self
            .offices
            .get(office_id)
            .cloned()
            .ok_or_else(|| ApiError::internal(&"operator's office is missing"))?;
        office.credential_types = self
            .store
            .office_credential_types(office_id)
            .await?
            .ok_or_else(|| ApiError::internal(&"operator's office is missing"))?;
        Ok((office_id, office))
    }

    /// Issue a credential from a request body for `op`, idempotently.
    pub async fn issue(
        &self,
        op: &Operator,
        idem_key: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let (office_id, office) = self.issuing_context(op).await?;
        let request_hash = self.request_hash("POST /api/v1/credentials", body);
        let idem = Idem {
            operator_id: &op.id,
            key: idem_key,
            request_hash: &request_hash,
        };
        let value = vpass_credential::json::parse(body, "body")
            .map_err(|e| ApiError::from_credential(&e, ""))?;
        let req = self.prepare_issue(op, &office, value, None).await?;
        let detail = format!("{} as {}", req.kind.type_name(), req.format);
        self.issue_checked(op, office_id, &idem, &req, self.clock.now(), detail)
            .await
    }

    /// Issue a checked request for `op` in `office_id` as of `now` (one transaction, see
    /// [`Store::issue_linked`]; audited with `detail`): `201` with the credential, its status
    /// index and list, and the volunteer it is linked to.
    async fn issue_checked(
        &self,
        op: &Operator,
        office_id: &str,
        idem: &Idem<'_>,
        req: &IssueRequest,
        now: UnixTime,
        detail: String,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let id = crypto::random_uuid();
        let sign =
            |p: &Placement<'_>, linked: Option<&Linked>| -> Result<(String, Vec<u8>), StoreError> {
                let signer = self.signer(p.key)?;
                let token = sign_credential(req, &id, &signer, p.list_url, p.index, now)?;
                let mut body = json!({
                    "id": id,
                    "credential": token,
                    "status_index": p.index,
                    "status_list": p.list_url,
                    "format": req.format.as_str(),
                    "type": req.kind.type_name(),
                });
                if let Some((vid, registered)) = linked {
                    body["volunteer"] = json!({"id": vid, "registered": registered});
                }
                let body = self.seal_answer(idem, body.to_string().into_bytes());
                Ok((self.seal_token(&id, &token), body))
            };
        let new = NewCredential {
            id: &id,
            office_id,
            kind: req.kind,
            format: req.format,
            issued_at: now,
            issued_by: &op.id,
            status: 201,
        };
        let entry = AuditEntry {
            at: now.0,
            actor: op.id.clone(),
            action: "credential.issue".into(),
            office_id: Some(office_id.to_owned()),
            subject: Some(id.clone()),
            request_id: Some(idem.key.to_owned()),
            detail: Some(detail),
        };
        let answer = self
            .store
            .issue_linked(idem, &new, &req.facts, &self.caps, &sign, &entry)
            .await?;
        if let Answer::Fresh(_) = answer {
            self.metrics.issued(office_id, req.kind.type_name(), 1);
        }
        self.open_answer(idem, 201, answer)
    }

    /// The rate limits and retention in effect.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Count one request in `bucket` (`op:<operator id>` or `ip:<address>`) against `limit`
    /// requests per fixed minute (0: no limit); over it, `429 RATE_LIMITED` with the seconds
    /// until the window ends.
    pub async fn rate_check(&self, bucket: &str, limit: u32) -> Result<(), ApiError> {
        if limit == 0 {
            return Ok(());
        }
        let now = self.clock.now().0;
        let window = now - now.rem_euclid(RATE_WINDOW);
        let hit = self.store.rate_hit(bucket, window).await?;
        if hit.count > i64::from(limit) {
            let retry = u64::try_from(window + RATE_WINDOW - now)
                .unwrap_or(1)
                .max(1);
            return Err(ApiError::rate_limited(retry));
        }
        Ok(())
    }

    /// Refuse with `429 RATE_LIMITED` if `bucket` has used up `limit` requests in this minute
    /// already, without counting (writes count themselves in their transaction, or once
    /// refused, [`Service::rate_check`]). A read of the read pool.
    pub async fn rate_precheck(&self, bucket: &str, limit: u32) -> Result<(), ApiError> {
        if limit == 0 {
            return Ok(());
        }
        let now = self.clock.now().0;
        let window = now - now.rem_euclid(RATE_WINDOW);
        let seen = self.store.rate_count(bucket, window).await?;
        if seen.count >= i64::from(limit) {
            let retry = u64::try_from(window + RATE_WINDOW - now)
                .unwrap_or(1)
                .max(1);
            return Err(ApiError::rate_limited(retry));
        }
        Ok(())
    }

    /// Delete idempotency records older than the retention period and rate-limit windows
    /// that have ended: (records, windows) deleted. The service runs this every hour.
    pub async fn purge_expired(&self) -> Result<(u64, u64), StoreError> {
        let now = self.clock.now().0;
        let days = i64::from(self.limits.idempotency_retention_days);
        let idem_before = if days == 0 {
            i64::MIN
        } else {
            now.saturating_sub(days * 24 * 3600)
        };
        self.store
            .purge(idem_before, now.saturating_sub(2 * RATE_WINDOW))
            .await
    }

    /// Every office with its keys and status lists (any operator).
    pub async fn offices_json(&self) -> Result<Value, ApiError> {
        let keys = self.store.office_keys().await?;
        let lists = self.store.status_lists().await?;
        let offices: Vec<Value> = self
            .store
            .offices()
            .await?
            .iter()
            .map(|o| {
                let keys: Vec<Value> = keys
                    .iter()
                    .filter(|k| k.office_id == o.id)
                    .map(|k| {
                        json!({
                            "kid": k.kid,
                            "state": k.state.name(),
                            "valid_from": k.valid_from.to_rfc3339(),
                            "at": k.state.at().map(UnixTime::to_rfc3339),
                        })
                    })
                    .collect();
                let lists: Vec<Value> = lists
                    .iter()
                    .filter(|l| l.office_id == o.id)
                    .map(|l| {
                        json!({"list_no": l.list_no, "url": l.url, "size": l.size,
                               "used": l.used})
                    })
                    .collect();
                json!({
                    "id": o.id,
                    "did": o.did,
                    "names": {"kk": o.name_kk, "ru": o.name_ru, "en": o.name_en},
                    "region": o.region,
                    "credential_types": type_names(&o.credential_types),
                    "keys": keys,
                    "status_lists": lists,
                })
            })
            .collect();
        Ok(json!({ "offices": offices }))
    }

    /// `POST /api/v1/offices/{office}/keys/rotate` (admins), idempotently.
    pub async fn rotate_key(
        &self,
        op: &Operator,
        idem_key: &str,
        office_id: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), ApiError> {
        if op.role != Role::Admin {
            return Err(ApiError::forbidden("only admins rotate office keys"));
        }
        let req = RotateRequest::from_json(body)?;
        let request_hash = self.request_hash(
            &format!("POST /api/v1/offices/{office_id}/keys/rotate"),
            body,
        );
        let idem = Idem {
            operator_id: &op.id,
            key: idem_key,
            request_hash: &request_hash,
        };
        self.rotate(&op.id, idem_key, office_id, &req, Some(&idem))
            .await
    }

    /// Rotate an office's key: a new key signs from now on; the old one is retired (it keeps
    /// verifying what it signed) or marked compromised. `idem` is `None` for
    /// `vpass admin rotate-key`. The new trust list is signed at once. The answer is
    /// [`KeyRotated::to_json`] (or, replayed, the first answer's status and body).
    pub async fn rotate(
        &self,
        actor: &str,
        request_id: &str,
        office_id: &str,
        req: &RotateRequest,
        idem: Option<&Idem<'_>>,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        match self
            .rotate_answer(actor, request_id, office_id, req, idem)
            .await?
        {
            (Answer::Fresh(body), _) => Ok((200, body)),
            (Answer::Replayed { status, body }, _) => Ok((status, body)),
        }
    }

    /// [`Service::rotate`] without idempotency, as `vpass admin rotate-key` asks for it: the
    /// rotation done, typed.
    pub async fn rotate_office_key(
        &self,
        actor: &str,
        request_id: &str,
        office_id: &str,
        req: &RotateRequest,
    ) -> Result<KeyRotated, ApiError> {
        let (_, done) = self
            .rotate_answer(actor, request_id, office_id, req, None)
            .await?;
        // Without an idempotency record nothing is replayed: the rotation ran here.
        done.ok_or_else(|| ApiError::internal(&"a rotation without idempotency was replayed"))
    }

    /// The rotation of [`Service::rotate`]: the store's answer, and the rotation done if it
    /// ran now (not replayed).
    async fn rotate_answer(
        &self,
        actor: &str,
        request_id: &str,
        office_id: &str,
        req: &RotateRequest,
        idem: Option<&Idem<'_>>,
    ) -> Result<(Answer, Option<KeyRotated>), ApiError> {
        let office = self
            .offices
            .get(office_id)
            .ok_or_else(|| ApiError::not_found("office"))?;
        let now = self.clock.now();
        if let Some(since) = req.since {
            if !req.compromised {
                return Err(ApiError::invalid_field(
                    "since",
                    "only goes with \"compromised\": true",
                ));
            }
            if since.0 > now.0 + 60 {
                return Err(ApiError::invalid_field("since", "is in the future"));
            }
        }
        let new_key = |n: i64| -> Result<KeyRow, StoreError> {
            let kid = format!("{}#key-{n}", office.did);
            let key = SigningKey::generate_ed25519().with_kid(kid.clone());
            let sealed = self.kek.seal(
                &format!("office-key:{kid}"),
                key.to_private_jwk().to_string().as_bytes(),
            );
            Ok(KeyRow {
                kid,
                office_id: office.id.clone(),
                public_jwk: key.public().to_jwk().to_string(),
                sealed_private: sealed,
                valid_from: UnixTime(now.0 - KEY_BACKDATE),
                state: KeyState::Active,
            })
        };
        // The rotation of the answer built last (the one committed).
        let done = std::sync::Mutex::new(None);
        let respond = |old: &KeyRow, new: &KeyRow| -> Vec<u8> {
            let rotated = KeyRotated::from_rows(&office.id, old, new);
            let body = rotated.to_json().to_string().into_bytes();
            *done
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(rotated);
            body
        };
        let rotation = Rotation {
            office_id,
            compromised: req.compromised,
            since: req.since.map(|t| t.0),
            now: now.0,
        };
        let entry = AuditEntry {
            at: now.0,
            actor: actor.to_owned(),
            action: "key.rotate".into(),
            office_id: Some(office_id.to_owned()),
            subject: None,
            request_id: Some(request_id.to_owned()),
            detail: Some(req.reason.clone()),
        };
        let answer = match self
            .store
            .rotate_key(idem, &rotation, &new_key, &respond, &entry)
            .await
        {
            Ok(a) => a,
            Err(StoreError::NotFound) => return Err(ApiError::not_found("office")),
            Err(e) => return Err(e.into()),
        };
        // Publish the keys at once (else the next fetch of /trust-list does it).
        self.trust_list(false).await?;
        let done = match answer {
            Answer::Fresh(_) => done
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            Answer::Replayed { .. } => None,
        };
        Ok((answer, done))
    }

    /// `PUT /api/v1/offices/{office}/credential-types` (admins): set the credential types an
    /// office may issue, `{"credential_types": [...]}` (vpass type names, no repeats; stored
    /// in [`CredentialKind::ALL`] order). Idempotent: setting the types an office has already
    /// writes and audits nothing; a change is audited and the trust list re-signed at once
    /// (verifiers then refuse the types taken away, also in credentials issued before).
    pub async fn set_credential_types(
        &self,
        op: &Operator,
        office_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        if op.role != Role::Admin {
            return Err(ApiError::forbidden(
                "only admins change what an office may issue",
            ));
        }
        let kinds = parse_credential_types(body)?;
        if !self.offices.contains_key(office_id) {
            return Err(ApiError::not_found("office"));
        }
        self.apply_credential_types(&op.id, office_id, &kinds)
            .await?;
        Ok(json!({"office": office_id, "credential_types": type_names(&kinds)}))
    }

    /// Store an office's credential types (audited as `actor` if they change) and re-sign the
    /// trust list: `true` if they changed. Also `vpass admin office-types`.
    pub async fn apply_credential_types(
        &self,
        actor: &str,
        office_id: &str,
        types: &[CredentialKind],
    ) -> Result<bool, ApiError> {
        let entry = AuditEntry {
            at: self.clock.now().0,
            actor: actor.to_owned(),
            action: "office.credential_types".into(),
            office_id: Some(office_id.to_owned()),
            subject: None,
            request_id: None,
            detail: Some(type_names(types).join(" ")),
        };
        let changed = match self
            .store
            .set_credential_types(office_id, types, &entry)
            .await
        {
            Ok(c) => c,
            Err(StoreError::NotFound) => return Err(ApiError::not_found("office")),
            Err(e) => return Err(e.into()),
        };
        if changed {
            self.trust_list(true).await?;
        }
        Ok(changed)
    }

    /// Audit entries after `after` (at most `limit`, ≤ 1000), for admins and auditors.
    pub async fn audit(&self, op: &Operator, after: i64, limit: i64) -> Result<Value, ApiError> {
        if matches!(op.role, Role::Officer(_)) {
            return Err(ApiError::forbidden(
                "only admins and auditors read the audit log",
            ));
        }
        let rows = self
            .store
            .audit_entries(after, limit.clamp(1, 1000))
            .await?;
        let (head_seq, _) = self.store.audit_head().await?;
        Ok(json!({
            "entries": rows.iter().map(audit::to_json).collect::<Vec<_>>(),
            "head": head_seq,
        }))
    }

    /// Issue a batch, idempotently: `body` is a JSON array of issuance requests, or CSV
    /// (`csv` true) of flat rows (see [`csv_rows`]) of type `csv_type`. Valid rows are issued
    /// in one transaction; every invalid row comes back with its number, code and field.
    pub async fn issue_batch(
        &self,
        op: &Operator,
        idem_key: &str,
        body: &[u8],
        csv_type: Option<CredentialKind>,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let (office_id, office) = self.issuing_context(op).await?;
        let target = match csv_type {
            Some(t) => format!("POST /api/v1/credentials/batch csv {}", t.type_name()),
            None => "POST /api/v1/credentials/batch".to_owned(),
        };
        let request_hash = self.request_hash(&target, body);
        let idem = Idem {
            operator_id: &op.id,
            key: idem_key,
            request_hash: &request_hash,
        };
        let rows: Vec<Result<Value, ApiError>> = match csv_type {
            Some(t) => csv_rows(body, t)?,
            None => {
                let value = vpass_credential::json::parse_with_limit(
                    body,
                    "body",
                    crate::http::MAX_BATCH_BODY,
                )
                .map_err(|e| ApiError::from_credential(&e, ""))?;
                match value {
                    Value::Array(items) => items.into_iter().map(Ok).collect(),
                    _ => {
                        return Err(ApiError::bad_request(
                            ProblemCode::MalformedBatch,
                            "the body must be a JSON array of credentials (or CSV)",
                        ))
                    }
                }
            }
        };
        if rows.len() > MAX_BATCH_ROWS {
            return Err(ApiError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                ProblemCode::BatchTooLarge,
                format!("at most {MAX_BATCH_ROWS} rows per batch"),
            ));
        }
        let now = self.clock.now();
        let known = self.known_volunteers(&rows).await?;
        let mut valid = Vec::new();
        let mut errors: Vec<(usize, Value)> = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            let prepared = match row {
                Ok(v) => self.prepare_issue(op, &office, v, Some(&known)).await,
                Err(e) => Err(e),
            };
            match prepared {
                Ok(req) => valid.push((i + 1, crypto::random_uuid(), req)),
                Err(e) => errors.push((i + 1, e.row_json(i + 1))),
            }
        }
        let items: Vec<NewCredential<'_>> = valid
            .iter()
            .map(|(_, id, req)| NewCredential {
                id,
                office_id,
                kind: req.kind,
                format: req.format,
                issued_at: now,
                issued_by: &op.id,
                status: 200,
            })
            .collect();
        let facts: Vec<NewFacts> = valid.iter().map(|(_, _, req)| req.facts.clone()).collect();
        let audits: Vec<AuditEntry> = valid
            .iter()
            .map(|(row, id, req)| AuditEntry {
                at: now.0,
                actor: op.id.clone(),
                action: "credential.issue".into(),
                office_id: Some(office_id.to_owned()),
                subject: Some(id.clone()),
                request_id: Some(format!("{idem_key}#{row}")),
                detail: Some(format!("{} as {}", req.kind.type_name(), req.format)),
            })
            .collect();
        let sign = |i: usize, p: &Placement<'_>| -> Result<(String, String), StoreError> {
            let (_, id, req) = valid.get(i).ok_or(StoreError::Corrupt("batch item"))?;
            let signer = self.signer(p.key)?;
            let token = sign_credential(req, id, &signer, p.list_url, p.index, now)?;
            Ok((self.seal_token(id, &token), token))
        };
        // The types of the rows issued, for the metrics (the last answer built is committed).
        let issued_kinds = std::sync::Mutex::new(Vec::new());
        let respond = |done: &[Result<Placed, Refusal>]| -> Vec<u8> {
            *issued_kinds
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = valid
                .iter()
                .zip(done)
                .filter(|(_, outcome)| outcome.is_ok())
                .map(|((_, _, req), _)| req.kind)
                .collect();
            let mut issued = Vec::new();
            let mut all_errors = errors.clone();
            for ((row, id, _), outcome) in valid.iter().zip(done) {
                match outcome {
                    Ok(p) => {
                        let mut item = json!({
                            "row": row,
                            "id": id,
                            "credential": p.token,
                            "status_index": p.index,
                            "status_list": p.list_url,
                        });
                        if let Some((vid, registered)) = &p.volunteer {
                            item["volunteer"] = json!({"id": vid, "registered": registered});
                        }
                        issued.push(item);
                    }
                    Err(r) => all_errors.push((*row, ApiError::refused(r.clone()).row_json(*row))),
                }
            }
            all_errors.sort_by_key(|(row, _)| *row);
            // The list of the first row issued (a batch may carry on in the office's next
            // list; each row names its own).
            let first_list = done
                .iter()
                .find_map(|d| d.as_ref().ok())
                .map(|p| p.list_url.clone());
            let body = json!({
                "issued": issued,
                "errors": all_errors.into_iter().map(|(_, e)| e).collect::<Vec<_>>(),
                "status_list": first_list,
            });
            self.seal_answer(&idem, body.to_string().into_bytes())
        };
        let answer = self
            .store
            .issue_batch_linked(&idem, &items, &facts, &self.caps, &audits, &sign, &respond)
            .await?;
        if let Answer::Fresh(_) = answer {
            let kinds = issued_kinds
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for kind in CredentialKind::ALL {
                let n = kinds.iter().filter(|k| **k == kind).count();
                self.metrics.issued(office_id, kind.type_name(), n as u64);
            }
        }
        self.open_answer(&idem, 200, answer)
    }

    /// A credential visible to `op`.
    pub async fn credential(&self, op: &Operator, id: &str) -> Result<Value, ApiError> {
        let row = self
            .store
            .credential(id)
            .await?
            .filter(|r| op.role.scope().is_none_or(|o| o == r.office_id))
            .ok_or_else(|| ApiError::not_found("credential"))?;
        let mut v = self.credential_json(&row);
        v["credential"] = self.open_token(&row.id, &row.token)?.into();
        v["volunteer"] = self.store.credential_volunteer(id).await?.into();
        Ok(v)
    }

    /// A stored credential as the API shows it; the token as stored (sealed), which callers
    /// that show it replace by the opened one.
    fn credential_json(&self, row: &CredentialRow) -> Value {
        let list_url = format!(
            "{}/status/{}/{}",
            self.public_url, row.office_id, row.list_no
        );
        let revoked = row
            .revoked_at
            .map(|at| json!({"at": at.to_rfc3339(), "reason": row.revoked_reason}));
        json!({
            "id": row.id,
            "credential": row.token,
            "status_index": row.status_index,
            "status_list": list_url,
            "format": row.format.as_str(),
            "type": row.kind.type_name(),
            "office": row.office_id,
            "issued_at": row.issued_at.to_rfc3339(),
            "revoked": revoked,
        })
    }

    /// Revoke a credential, idempotently; re-signs the office's status list.
    pub async fn revoke(
        &self,
        op: &Operator,
        idem_key: &str,
        id: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), ApiError> {
        if op.role == Role::Auditor {
            return Err(ApiError::forbidden("auditors may not revoke"));
        }
        let value = vpass_credential::json::parse(body, "body")
            .map_err(|e| ApiError::from_credential(&e, ""))?;
        let obj = value.as_object().ok_or_else(|| {
            ApiError::bad_request(
                ProblemCode::INVALID_FIELD,
                "the body must be {\"reason\": \"...\"}",
            )
        })?;
        if let Some(k) = obj.keys().find(|k| *k != "reason") {
            return Err(ApiError::invalid_field(k, "is not a known member"));
        }
        let reason = parse_reason(obj)?;
        let request_hash =
            self.request_hash(&format!("POST /api/v1/credentials/{id}/revoke"), body);
        let idem = Idem {
            operator_id: &op.id,
            key: idem_key,
            request_hash: &request_hash,
        };
        let now = self.clock.now();
        let rev = Revocation {
            id,
            scope: op.role.scope(),
            reason: &reason,
            by: &op.id,
            now: now.0,
        };
        let publish = |key: &ActiveKey, row: &StatusListRow, revoked: &[u64]| {
            self.sign_status_list(key, row, revoked)
        };
        // The revoked credential's office and type, for the metrics.
        let revoked = std::sync::Mutex::new(None);
        let respond = |row: &CredentialRow| {
            *revoked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some((row.office_id.clone(), row.kind));
            let mut v = self.credential_json(row);
            // The token opened under this KEK when it was issued; if it no longer opens, the
            // answer leaves it out rather than failing the revocation.
            v["credential"] = self
                .open_token(&row.id, &row.token)
                .unwrap_or_default()
                .into();
            self.seal_answer(&idem, v.to_string().into_bytes())
        };
        let entry = AuditEntry {
            at: now.0,
            actor: op.id.clone(),
            action: "credential.revoke".into(),
            office_id: None,
            subject: Some(id.to_owned()),
            request_id: Some(idem_key.to_owned()),
            detail: Some(reason.clone()),
        };
        let answer = self
            .store
            .revoke(&idem, &rev, &publish, &respond, &entry)
            .await?;
        let revoked = revoked
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let (Answer::Fresh(_), Some((office, kind))) = (&answer, revoked) {
            self.metrics.revoked(&office, kind.type_name());
        }
        self.open_answer(&idem, 200, answer)
    }

    fn sign_status_list(
        &self,
        key: &ActiveKey,
        row: &StatusListRow,
        revoked: &[u64],
    ) -> Result<Signed, StoreError> {
        let office = self
            .offices
            .get(&row.office_id)
            .ok_or(StoreError::Corrupt("status list of an unknown office"))?;
        let signer = self.signer(key)?;
        let size = usize::try_from(row.size).map_err(|_| StoreError::Corrupt("list size"))?;
        let mut list = StatusList::new(size).map_err(|e| StoreError::Signing(e.to_string()))?;
        for &i in revoked {
            list.set(i, true)
                .map_err(|_| StoreError::Corrupt("revoked index outside the list"))?;
        }
        let from = next_signed_time(self.clock.now(), row.valid_from);
        let until = now_plus(from, STATUS_LIST_VALIDITY);
        let token = status::sign_status_list(
            signer.as_ref(),
            &office.did,
            &row.url,
            "revocation",
            &list,
            from,
            until,
        );
        Ok((token, from, until))
    }

    /// The office's signed status list number `list_no` (re-signed when stale).
    pub async fn status_list(&self, office_id: &str, list_no: i64) -> Result<String, ApiError> {
        if !self.offices.contains_key(office_id) {
            return Err(ApiError::not_found("status list"));
        }
        let stale_before = self.clock.now().0 - STATUS_LIST_REFRESH;
        let publish = |key: &ActiveKey, row: &StatusListRow, revoked: &[u64]| {
            self.sign_status_list(key, row, revoked)
        };
        match self
            .store
            .fresh_status_list(office_id, list_no, stale_before, &publish)
            .await
        {
            Ok(row) => row
                .token
                .ok_or_else(|| ApiError::internal(&"status list not signed")),
            Err(StoreError::NotFound) => Err(ApiError::not_found("status list")),
            Err(e) => Err(e.into()),
        }
    }

    /// The signed trust list, re-signed under the next sequence number if `force` or due.
    pub async fn trust_list(&self, force: bool) -> Result<String, ApiError> {
        let now = self.clock.now();
        // The current root, read each time: a root rotation (`vpass admin rotate-root`) takes
        // effect without a restart.
        let root = self.current_root().await?;
        let build = |sequence: i64,
                     offices: &[OfficeRow],
                     keys: &[KeyRow],
                     lists: &[StatusListRow]|
         -> Result<Signed, StoreError> {
            let (list, token) =
                signed_trust_list(&root, None, now, sequence, offices, keys, lists)?;
            Ok((token, now, list.next_update))
        };
        let due_before = now.0 + TRUST_LIST_REFRESH_MARGIN;
        Ok(self
            .store
            .fresh_trust_list(force, due_before, &build)
            .await?
            .token)
    }

    /// The DID document of an office (`None` if unknown).
    pub async fn did_document(&self, office_id: &str) -> Result<Option<Value>, ApiError> {
        let Some(office) = self.offices.get(office_id) else {
            return Ok(None);
        };
        let mut methods = Vec::new();
        for key in self.store.office_keys().await? {
            if key.office_id != office.id || matches!(key.state, KeyState::Compromised { .. }) {
                continue;
            }
            let jwk = vpass_credential::json::parse(key.public_jwk.as_bytes(), "jwk")
                .map_err(|_| ApiError::internal(&"stored public JWK is not JSON"))?;
            methods.push(json!({
                "id": key.kid,
                "type": "JsonWebKey",
                "controller": office.did,
                "publicKeyJwk": jwk,
            }));
        }
        let ids: Vec<Value> = methods.iter().map(|m| m["id"].clone()).collect();
        Ok(Some(json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
            "id": office.did,
            "verificationMethod": methods,
            "assertionMethod": ids,
        })))
    }

    /// What identifies a write request for its idempotency record: HMAC-SHA256, under a key
    /// derived from the KEK ([`REQUEST_HASH_PURPOSE`]), of method and path, then the body. A
    /// plain hash would give a registration's IIN back to anyone holding the database: the
    /// birth date is stored in the clear, which leaves some 20,000 candidates to hash.
    pub(crate) fn request_hash(&self, target: &str, body: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(target.len() + 1 + body.len());
        bytes.extend_from_slice(target.as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(body);
        crypto::hmac_sha256(&self.request_key, &bytes).to_vec()
    }

    /// The office whose DID is served at `/.well-known/did.json` (a host-level did:web).
    pub fn well_known_office(&self) -> Option<&str> {
        self.offices
            .values()
            .find(|o| !o.did.trim_start_matches("did:web:").contains(':'))
            .map(|o| o.id.as_str())
    }
}

/// The trust list of `sequence` built from the stored offices, keys and status lists, signed
/// by `root` at `now` (announcing `next_root`, a root rotation) and checked under `root`
/// before it is published, as `sign_trust_list` asks.
pub(crate) fn signed_trust_list(
    root: &SigningKey,
    next_root: Option<&str>,
    now: UnixTime,
    sequence: i64,
    offices: &[OfficeRow],
    keys: &[KeyRow],
    lists: &[StatusListRow],
) -> Result<(TrustList, String), StoreError> {
    let list = TrustList {
        sequence: u64::try_from(sequence).map_err(|_| StoreError::Corrupt("sequence"))?,
        issued_at: now,
        next_update: now_plus(now, TRUST_LIST_VALIDITY),
        root: root.public().did_key(),
        next_root: next_root.map(str::to_owned),
        offices: offices
            .iter()
            .map(|o| trust_office(o, keys, lists))
            .collect::<Result<_, _>>()?,
    };
    let token = trust::sign_trust_list(root, &list);
    trust::verify_trust_list(&token, &root.public(), now, None)
        .map_err(|e| StoreError::Signing(format!("trust list self-check: {e}")))?;
    Ok((list, token))
}

fn trust_office(
    o: &OfficeRow,
    keys: &[KeyRow],
    lists: &[StatusListRow],
) -> Result<trust::Office, StoreError> {
    let keys = keys
        .iter()
        .filter(|k| k.office_id == o.id)
        .map(|k| {
            let jwk = vpass_credential::json::parse(k.public_jwk.as_bytes(), "jwk")
                .map_err(|_| StoreError::Corrupt("office_keys.public_jwk"))?;
            Ok(OfficeKey {
                kid: k.kid.clone(),
                jwk,
                valid_from: k.valid_from,
                valid_until: None,
                state: k.state.into(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(trust::Office {
        id: o.did.clone(),
        names: Names {
            kk: o.name_kk.clone(),
            ru: o.name_ru.clone(),
            en: o.name_en.clone(),
        },
        region: o.region.clone(),
        credential_types: type_names(&o.credential_types),
        keys,
        status_lists: lists
            .iter()
            .filter(|l| l.office_id == o.id)
            .map(|l| l.url.clone())
            .collect(),
    })
}

/// An issuance request with its request members (`holder`, `format`, `volunteer`,
/// `confirm`) taken out; the credential itself not checked yet.
struct Draft {
    map: Map<String, Value>,
    holder: Option<PublicKey>,
    format: Format,
    volunteer: Option<String>,
    confirm_duplicate: bool,
}

/// Take the request members out of one issuance request (a JSON value) for `office`.
fn draft_issue_value(office: &OfficeRow, value: Value) -> Result<Draft, ApiError> {
    let Value::Object(mut map) = value else {
        return Err(ApiError::bad_request(
            ProblemCode::MALFORMED_CREDENTIAL,
            "the body must be a JSON object: a VCDM 2.0 credential",
        ));
    };
    let holder = match map.remove("holder") {
        None => None,
        Some(Value::String(did)) => Some(PublicKey::from_did_key(&did).map_err(|_| {
            ApiError::invalid_field("holder", "is not a did:key of an Ed25519 or P-256 key")
        })?),
        Some(jwk @ Value::Object(_)) => Some(PublicKey::from_jwk(&jwk).map_err(|_| {
            ApiError::invalid_field("holder", "is not a public JWK (Ed25519 or P-256)")
        })?),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "holder",
                "must be a did:key string or a public JWK object",
            ))
        }
    };
    let format = match map.remove("format") {
        None => Format::SdJwt,
        Some(Value::String(f)) => Format::from_name(&f)
            .ok_or_else(|| ApiError::invalid_field("format", "must be sd-jwt or jwt"))?,
        Some(_) => return Err(ApiError::invalid_field("format", "must be sd-jwt or jwt")),
    };
    let volunteer = match map.remove("volunteer") {
        None => None,
        Some(Value::String(id))
            if !id.is_empty() && id.len() <= 64 && text::check_chars(&id, Lines::One).is_ok() =>
        {
            Some(id)
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "volunteer",
                "must be a volunteer id (a string)",
            ))
        }
    };
    let confirm_duplicate = match map.remove("confirm") {
        None => false,
        Some(Value::Array(items)) => {
            let mut dup = false;
            for item in items {
                match item.as_str() {
                    Some(volunteers::CONFIRM_DUPLICATE_EVENT) => dup = true,
                    _ => {
                        return Err(ApiError::invalid_field(
                            "confirm",
                            "may hold only \"duplicate-event\"",
                        ))
                    }
                }
            }
            dup
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "confirm",
                "must be an array such as [\"duplicate-event\"]",
            ))
        }
    };
    match map.get("issuer") {
        None => {}
        Some(Value::String(s)) if *s == office.did => {}
        Some(_) => {
            return Err(ApiError::invalid_field(
                "issuer",
                "is set by the server to the operator's office; leave it out",
            ))
        }
    }
    if map.contains_key("id") {
        return Err(ApiError::invalid_field(
            "id",
            "is set by the server (urn:uuid: of the credential's id in the API); leave it out",
        ));
    }
    if map
        .get("credentialSubject")
        .and_then(Value::as_object)
        .is_some_and(|s| s.contains_key("unlinked"))
    {
        return Err(ApiError::invalid_field(
            "credentialSubject.unlinked",
            "is set by the server when the hours are linked to no volunteer; leave it out",
        ));
    }
    if map.contains_key("credentialStatus") {
        return Err(ApiError::invalid_field(
            "credentialStatus",
            "is set by the server (a random status-list index); leave it out",
        ));
    }
    Ok(Draft {
        map,
        holder,
        format,
        volunteer,
        confirm_duplicate,
    })
}

/// Where an issuance request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A credential a client wrote (`POST /api/v1/credentials`, batches).
    Request,
    /// A passport summary the service built from the register.
    Register,
}

/// Check a draft (its volunteer resolved) for `office`: the credential profile, the office's
/// authorisation (a passport summary only from the register), the per-credential hours cap;
/// and what is stored beside it. Hours linked to no volunteer are marked `"unlinked": true`:
/// the register's checks across credentials could not cover them (see docs/formats.md).
fn check_issue(
    office: &OfficeRow,
    draft: Draft,
    link: Option<VolunteerLink>,
    limits: &HoursCaps,
    origin: Origin,
) -> Result<IssueRequest, ApiError> {
    let Draft {
        mut map,
        holder,
        format,
        confirm_duplicate,
        ..
    } = draft;
    map.insert("issuer".into(), office.did.clone().into());
    // Checked once, here: signing adds the `id` and status entry to the checked credential
    // (`Issuance`), so it cannot fail on content.
    let mut checked = Credential::from_json(&Value::Object(map))
        .map_err(|e| ApiError::from_credential(&e, ""))?;
    let kind = checked.kind();
    if kind == CredentialKind::Passport && origin != Origin::Register {
        return Err(ApiError::bad_request(
            ProblemCode::PassportFromRegister,
            "a VolunteerPassportCredential is built from the register: \
             POST /api/v1/volunteers/{id}/passport",
        )
        .at("type"));
    }
    if link.is_none() {
        // Hours only; the other kinds have no such member.
        checked.mark_unlinked();
    }
    if !office.credential_types.contains(&kind) {
        return Err(ApiError::bad_request(
            ProblemCode::ISSUER_NOT_AUTHORIZED,
            format!("this office may not issue {}", kind.type_name()),
        )
        .at("type"));
    }
    let mut facts = NewFacts {
        volunteer: link,
        confirm_duplicate,
        ..NewFacts::default()
    };
    match checked.subject() {
        Subject::Hours(h) => {
            volunteers::check_cap(h.hours(), limits).map_err(ApiError::refused)?;
            facts.hours = Some(NewHours {
                hours: h.hours(),
                category: h.category().map(|c| c.as_str().to_owned()),
                period_start: h.period_start().to_string(),
                period_end: h.period_end().to_string(),
                event_key: volunteers::event_key(
                    h.activity(),
                    h.organization(),
                    h.period_start(),
                    h.period_end(),
                ),
            });
        }
        Subject::Skill(k) => {
            let mut e = Map::new();
            e.insert("skill".into(), k.skill().into());
            if let Some(level) = k.level() {
                e.insert("level".into(), level.as_str().into());
            }
            e.insert("trainingProvider".into(), k.training_provider().into());
            if let Some(until) = k.valid_until() {
                e.insert("validUntil".into(), until.to_string().into());
            }
            facts.entry = Some(Value::Object(e).to_string());
        }
        Subject::Award(a) => {
            facts.entry = Some(
                json!({
                    "award": a.award(),
                    "awardedBy": a.awarded_by(),
                    "awardDate": a.award_date().to_string(),
                })
                .to_string(),
            );
        }
        _ => {}
    }
    Ok(IssueRequest {
        credential: checked,
        holder,
        format,
        kind,
        facts,
    })
}

/// Turn CSV into issuance requests of type `kind`, one per data row (row 1 is the first
/// line after the header). Columns: `validFrom`, `validUntil`, `holder`, `format`, `id` and
/// `volunteer` are credential or request members, `confirm` the request's confirmations
/// (separated by `;`); every other column is a `credentialSubject` member of the type, a
/// dotted name (`achievement.name`) a nested one ([`CredentialKind::subject_paths`]). Empty
/// cells are absent; `hours` is a number.
///
/// The header is checked whole before any row is built (`csv_header`); a row the CSV reader
/// cannot read, or one larger than [`MAX_CSV_ROW`], is an error of that row alone.
pub fn csv_rows(
    body: &[u8],
    kind: CredentialKind,
) -> Result<Vec<Result<Value, ApiError>>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(body);
    let header = reader.headers().map_err(|_| {
        ApiError::bad_request(ProblemCode::CsvInvalid, "the CSV header cannot be read")
    })?;
    let columns = csv_header(header, kind)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let row = record
            .map_err(|e| {
                ApiError::bad_request(ProblemCode::CsvInvalid, format!("unreadable row: {e}"))
            })
            .and_then(|r| {
                if r.as_byte_record().as_slice().len() > MAX_CSV_ROW {
                    return Err(ApiError::new(
                        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                        ProblemCode::PAYLOAD_TOO_LARGE,
                        format!("the row is larger than {MAX_CSV_ROW} bytes"),
                    ));
                }
                csv_row(&columns, &r, kind.type_name())
            });
        rows.push(row);
        if rows.len() > MAX_BATCH_ROWS {
            break;
        }
    }
    Ok(rows)
}

/// Where a CSV column goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    /// A credential or request member (`validFrom`, `volunteer`, ...).
    Top(&'static str),
    /// The request's confirmations, separated by `;`.
    Confirm,
    /// A `credentialSubject` member: its path, one name per level.
    Subject(&'static str),
}

/// The request columns a CSV header may have besides the subject's.
const CSV_REQUEST_COLUMNS: [&str; 6] = [
    "validFrom",
    "validUntil",
    "holder",
    "format",
    "id",
    "volunteer",
];

/// Check a CSV header before any row is built, so that its size bounds every row's: at most
/// [`MAX_CSV_COLUMNS`] columns, each at most [`MAX_CSV_COLUMN_NAME`] bytes and
/// [`MAX_CSV_PATH_SEGMENTS`] dotted names, each a request column or a subject path of `kind`,
/// none twice. (A column of 100,000 dotted names once built 100,000 nested objects, whose
/// recursive drop overflowed the stack and aborted the service.)
fn csv_header(header: &csv::StringRecord, kind: CredentialKind) -> Result<Vec<Column>, ApiError> {
    let refuse = |detail: String| ApiError::bad_request(ProblemCode::CsvInvalid, detail);
    if header.len() > MAX_CSV_COLUMNS {
        return Err(refuse(format!(
            "the CSV header has {} columns; at most {MAX_CSV_COLUMNS}",
            header.len()
        )));
    }
    if header.iter().all(str::is_empty) {
        return Err(refuse("the CSV has no header line".into()));
    }
    let mut columns = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        if name.len() > MAX_CSV_COLUMN_NAME {
            return Err(refuse(format!(
                "CSV column {} has a name longer than {MAX_CSV_COLUMN_NAME} bytes",
                i + 1
            )));
        }
        if name.split('.').count() > MAX_CSV_PATH_SEGMENTS {
            return Err(refuse(format!(
                "CSV column {} is nested deeper than {MAX_CSV_PATH_SEGMENTS} names",
                i + 1
            )));
        }
        let column = if name == "confirm" {
            Column::Confirm
        } else if let Some(top) = CSV_REQUEST_COLUMNS.iter().find(|c| **c == name) {
            Column::Top(top)
        } else if let Some(path) = kind.subject_paths().iter().find(|p| **p == name) {
            Column::Subject(path)
        } else {
            // The name is at most MAX_CSV_COLUMN_NAME bytes; shown only if it is plain text.
            let shown = if text::check_chars(name, Lines::One).is_ok() {
                name
            } else {
                "?"
            };
            return Err(ApiError::invalid_field(
                &format!("credentialSubject.{shown}"),
                "is not a known member",
            ));
        };
        if columns.contains(&column) {
            return Err(refuse(format!("CSV column {name:?} appears twice")));
        }
        columns.push(column);
    }
    Ok(columns)
}

fn csv_row(
    columns: &[Column],
    record: &csv::StringRecord,
    type_name: &str,
) -> Result<Value, ApiError> {
    let mut top = Map::new();
    top.insert("@context".into(), json!([model::VCDM2_CONTEXT]));
    top.insert(
        "type".into(),
        json!([model::VERIFIABLE_CREDENTIAL, type_name]),
    );
    let mut subject = Map::new();
    for (column, cell) in columns.iter().zip(record.iter()) {
        if cell.is_empty() {
            continue;
        }
        match column {
            Column::Top(name) => {
                top.insert((*name).to_owned(), Value::String(cell.to_owned()));
            }
            Column::Confirm => {
                let items: Vec<Value> = cell
                    .split([';', ','])
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(|c| Value::String(c.to_owned()))
                    .collect();
                top.insert("confirm".into(), Value::Array(items));
            }
            Column::Subject(path) => {
                let value = if *path == "hours" {
                    csv_number(cell, "credentialSubject.hours")?
                } else {
                    Value::String(cell.to_owned())
                };
                // At most MAX_CSV_PATH_SEGMENTS levels (csv_header).
                let mut parts = path.split('.').peekable();
                let mut map = &mut subject;
                while let Some(part) = parts.next() {
                    if parts.peek().is_none() {
                        map.insert(part.to_owned(), value);
                        break;
                    }
                    let entry = map
                        .entry(part.to_owned())
                        .or_insert_with(|| Value::Object(Map::new()));
                    map = match entry {
                        Value::Object(m) => m,
                        _ => {
                            return Err(ApiError::invalid_field(
                                &format!("credentialSubject.{path}"),
                                "clashes with another column",
                            ))
                        }
                    };
                }
            }
        }
    }
    top.insert("credentialSubject".into(), Value::Object(subject));
    Ok(Value::Object(top))
}

/// A CSV cell that holds a number (`hours`): whole numbers as integers.
fn csv_number(cell: &str, field: &str) -> Result<Value, ApiError> {
    let n: f64 = cell
        .parse()
        .map_err(|_| ApiError::invalid_field(field, "must be a number"))?;
    serde_json::Number::from_f64(n)
        .map(|n| match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => Value::from(f as i64),
            _ => Value::Number(n),
        })
        .ok_or_else(|| ApiError::invalid_field(field, "must be a number"))
}

/// Sign a checked request as credential `id` (its VCDM `id` is `urn:uuid:<id>`) with status
/// index `index` of the list at `url`.
fn sign_credential(
    req: &IssueRequest,
    id: &str,
    signer: &SigningKey,
    url: &str,
    index: u64,
    now: UnixTime,
) -> Result<String, StoreError> {
    let signing = |e: vpass_credential::Error| StoreError::Signing(e.to_string());
    let status = StatusEntry::new(StatusPurpose::Revocation, index, url).map_err(signing)?;
    let urn = format!("urn:uuid:{id}");
    Issuance::new(&req.credential)
        .format(req.format)
        .issued_at(now)
        .holder(req.holder.as_ref())
        .id(&urn)
        .status(status)
        .sign(signer)
        .map_err(signing)
}
