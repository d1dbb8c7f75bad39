//! The audit log: who issued, revoked or changed what, when, under which request.
//!
//! **Append-only and tamper-evident.** Entries are only ever inserted, in the same transaction
//! as the change they record (so a change without its entry, or the reverse, cannot exist).
//! Entry *n* stores `hash_n = SHA-256(hash_{n-1} || canonical JSON of entry n)` with
//! `hash_0` = 32 zero bytes; the database also keeps the last sequence number and hash
//! (`audit_head`), which serialises appenders and shows when entries were cut off the end.
//! [`verify_chain`] recomputes everything: an edited, deleted, inserted or reordered entry
//! breaks the chain at that entry. (Someone with write access to the database can still
//! rewrite the whole chain from the edit onward; publishing or exporting the head hash now and
//! then, e.g. into backups or a ticket, pins it.)
//!
//! Entries never hold credential contents or national IDs: the subject is the credential or
//! operator id; `detail` carries the revocation reason or the role given.
//!
//! The canonical JSON is `{"seq", "at", "actor", "action", "office", "subject", "request",
//! "detail"}` in this order, absent values as `null`, serialised by `serde_json` (no spaces).

use serde_json::{json, Value};

use crate::crypto::sha256;
use crate::store::{Store, StoreError};

/// What to record (sequence and hashes are added by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    /// Operator id (or `system`).
    pub actor: String,
    /// `credential.issue`, `credential.revoke`, `operator.add`, `token.revoke`,
    /// `service.bootstrap`.
    pub action: String,
    /// The office concerned.
    pub office_id: Option<String>,
    /// The credential or operator id.
    pub subject: Option<String>,
    /// The request's `Idempotency-Key` (one operation across retries).
    pub request_id: Option<String>,
    /// The revocation reason, the role given, ...
    pub detail: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The entry.
    pub entry: AuditEntry,
    /// Hash of the previous entry.
    pub prev_hash: Vec<u8>,
    /// This entry's hash.
    pub hash: Vec<u8>,
}

/// The chain's starting hash.
pub const GENESIS: [u8; 32] = [0; 32];

/// The canonical JSON of an entry at position `seq`.
pub fn canonical(seq: i64, e: &AuditEntry) -> Value {
    json!({
        "seq": seq,
        "at": e.at,
        "actor": e.actor,
        "action": e.action,
        "office": e.office_id,
        "subject": e.subject,
        "request": e.request_id,
        "detail": e.detail,
    })
}

/// `SHA-256(prev || canonical JSON)`.
pub fn entry_hash(prev: &[u8], seq: i64, e: &AuditEntry) -> Vec<u8> {
    let mut bytes = prev.to_vec();
    bytes.extend_from_slice(canonical(seq, e).to_string().as_bytes());
    sha256(&bytes)
}

/// The entry as the API shows it (hashes in hex).
pub fn to_json(row: &AuditRow) -> Value {
    let mut v = canonical(row.seq, &row.entry);
    if let Value::Object(m) = &mut v {
        m.insert(
            "at".into(),
            vpass_credential::time::UnixTime(row.entry.at)
                .to_rfc3339()
                .into(),
        );
        m.insert("prev_hash".into(), hex(&row.prev_hash).into());
        m.insert("hash".into(), hex(&row.hash).into());
    }
    v
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why the chain does not check out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// Reading failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The entry at `seq` is not what the chain says (edited, inserted, reordered, or the one
    /// before it was deleted).
    #[error("audit log broken at entry {seq}: {why}")]
    Broken {
        /// The first entry that does not check.
        seq: i64,
        /// What is wrong.
        why: &'static str,
    },
}

/// Check the whole chain; `Ok(n)` is the number of entries.
pub async fn verify_chain(store: &dyn Store) -> Result<i64, ChainError> {
    let mut prev = GENESIS.to_vec();
    let mut expected = 1;
    loop {
        let page = store.audit_entries(expected - 1, 1000).await?;
        if page.is_empty() {
            break;
        }
        for row in page {
            let broken = |why| ChainError::Broken { seq: expected, why };
            if row.seq != expected {
                return Err(broken("an entry is missing"));
            }
            if row.prev_hash != prev {
                return Err(broken("prev_hash is not the previous entry's hash"));
            }
            if row.hash != entry_hash(&prev, row.seq, &row.entry) {
                return Err(broken("the entry does not match its hash"));
            }
            prev = row.hash;
            expected += 1;
        }
    }
    let (head_seq, head_hash) = store.audit_head().await?;
    if head_seq != expected - 1 || head_hash != prev {
        return Err(ChainError::Broken {
            seq: expected,
            why: "entries were removed from the end (the head does not match)",
        });
    }
    Ok(expected - 1)
}
