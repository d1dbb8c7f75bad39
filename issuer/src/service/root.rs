//! Root key rotation (`vpass admin rotate-root`) and the root chain verifiers follow
//! (`GET /trust-list/chain`).
//!
//! A rotation signs one last trust list with the current root that names the next root
//! (`nextRoot`, docs/formats.md "Root rotation"); from then on every list is signed by the next
//! root. Verifiers keep the root they pinned first and walk the chain of rotation lists, so the
//! service keeps every rotation list and serves them oldest first: a verifier that missed a
//! rotation catches up at its next sync. The rotation list, the sealed next root and the audit
//! entry are written in one transaction, so no list ever names a root whose key was lost.

use vpass_credential::keys::{Signer, SigningKey};
use vpass_credential::trust::{self, TrustList};

use super::{open_key, signed_trust_list, Service};
use crate::audit::AuditEntry;
use crate::http::error::ApiError;
use crate::store::{NextRoot, StoreError};

/// What a root rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootRotated {
    /// The root that signed the rotation list.
    pub previous: String,
    /// The root that signs from now on (the did:key new verifiers pin).
    pub next: String,
    /// The rotation list's sequence number.
    pub sequence: i64,
}

impl Service {
    /// The root that signs trust lists now (the latest in the database).
    pub(super) async fn current_root(&self) -> Result<SigningKey, ApiError> {
        let (did, sealed) = self
            .store
            .root_key()
            .await?
            .ok_or(StoreError::Corrupt("no root key"))?;
        if did == self.root.public().did_key() {
            return Ok(self.root.clone());
        }
        open_key(&self.kek, &format!("root:{did}"), &sealed)
            .map_err(|_| ApiError::internal(&"the current root key cannot be opened"))
    }

    /// Rotate the root: a new root key, announced by a trust list the current root signs.
    /// Audited as `root.rotate` by `actor`, with `reason`.
    pub async fn rotate_root(&self, actor: &str, reason: &str) -> Result<RootRotated, ApiError> {
        let now = self.clock.now();
        let root = self.current_root().await?;
        let next = SigningKey::generate_ed25519();
        let next_did = next.public().did_key();
        let sealed = self.kek.seal(
            &format!("root:{next_did}"),
            next.to_private_jwk().to_string().as_bytes(),
        );
        let build = |sequence: i64,
                     offices: &[crate::store::OfficeRow],
                     keys: &[crate::store::KeyRow],
                     lists: &[crate::store::StatusListRow]|
         -> Result<crate::store::Signed, StoreError> {
            let (list, token) =
                signed_trust_list(&root, Some(&next_did), now, sequence, offices, keys, lists)?;
            let check = |e: vpass_credential::Error| {
                StoreError::Signing(format!("rotation list self-check: {e}"))
            };
            trust::verify_root_rotation(&token, &root.public()).map_err(check)?;
            // The next root must be able to sign what verifiers will check under it.
            let probe = trust::sign_trust_list(
                &next,
                &TrustList {
                    root: next_did.clone(),
                    next_root: None,
                    ..list.clone()
                },
            );
            trust::verify_trust_list(&probe, &next.public(), now, None).map_err(check)?;
            Ok((token, now, list.next_update))
        };
        let entry = AuditEntry {
            at: now.0,
            actor: actor.to_owned(),
            action: "root.rotate".into(),
            office_id: None,
            subject: Some(next_did.clone()),
            request_id: None,
            detail: Some(reason.to_owned()),
        };
        let row = self
            .store
            .rotate_root(
                &NextRoot {
                    did: next_did.clone(),
                    previous_did: root.public().did_key(),
                    sealed,
                    at: now.0,
                },
                &build,
                &entry,
            )
            .await?;
        Ok(RootRotated {
            previous: root.public().did_key(),
            next: next_did,
            sequence: row.sequence,
        })
    }

    /// The rotation lists, oldest first, as a JSON array (`GET /trust-list/chain`).
    pub async fn root_chain(&self) -> Result<Vec<String>, ApiError> {
        Ok(self.store.root_chain().await?)
    }
}
