//! The issuer's own typed values that rows and rules share: an operator's [`Role`] and an
//! office key's [`KeyState`]. (Credential kinds and formats are the credential core's
//! [`CredentialKind`](vpass_credential::model::CredentialKind) and
//! [`Format`](vpass_credential::issue::Format).)
//!
//! **Why enums.** A state held as text (`"active"`, `"officer"`) is compared against string
//! literals wherever it is used, and a value nobody expected falls through to whatever the
//! last branch does. Here each is an enum: the rows of [`crate::store`] hold them, and the
//! stored text is read and written in one place, the row mapping of `store/sql.rs`, where
//! an unknown stored value is [`StoreError::Corrupt`](crate::store::StoreError::Corrupt),
//! never a default.

use vpass_credential::time::UnixTime;
use vpass_credential::trust;

/// Operator roles. An officer's role carries its office: a role is never half-known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// National administrator: everything, every office.
    Admin,
    /// Issues and revokes for one office.
    Officer(String),
    /// Reads everything, writes nothing.
    Auditor,
}

impl Role {
    /// The stored and displayed name: `admin`, `officer` or `auditor`.
    pub const fn name(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer(_) => "officer",
            Role::Auditor => "auditor",
        }
    }

    /// The role named `name` with the operator's office (`operators.role`, `office_id`):
    /// `None` unless an officer has an office and the others have none.
    pub fn from_parts(name: &str, office: Option<String>) -> Option<Role> {
        match (name, office) {
            ("admin", None) => Some(Role::Admin),
            ("auditor", None) => Some(Role::Auditor),
            ("officer", Some(o)) => Some(Role::Officer(o)),
            _ => None,
        }
    }

    /// The office an officer is scoped to (`operators.office_id`); `None` for the others.
    pub fn office(&self) -> Option<&str> {
        match self {
            Role::Officer(o) => Some(o),
            Role::Admin | Role::Auditor => None,
        }
    }
}

/// An office signing key's state, with the time it took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Signs new credentials.
    Active,
    /// Replaced by a newer key; what it signed before `at` stays valid.
    Retired {
        /// When it was retired.
        at: UnixTime,
    },
    /// Leaked: what it signed from `at` on is not to be trusted.
    Compromised {
        /// Since when.
        at: UnixTime,
    },
}

impl KeyState {
    /// The stored name (`office_keys.state`): `active`, `retired` or `compromised`.
    pub const fn name(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Retired { .. } => "retired",
            KeyState::Compromised { .. } => "compromised",
        }
    }

    /// When a retired or compromised state took effect (`office_keys.state_at`).
    pub const fn at(self) -> Option<UnixTime> {
        match self {
            KeyState::Active => None,
            KeyState::Retired { at } | KeyState::Compromised { at } => Some(at),
        }
    }

    /// The state named `name` (`office_keys.state`) at `at` (`office_keys.state_at`): `None`
    /// for an unknown name, or a time missing or present where the state has none.
    pub fn from_parts(name: &str, at: Option<UnixTime>) -> Option<KeyState> {
        match (name, at) {
            ("active", None) => Some(KeyState::Active),
            ("retired", Some(at)) => Some(KeyState::Retired { at }),
            ("compromised", Some(at)) => Some(KeyState::Compromised { at }),
            _ => None,
        }
    }
}

/// A state compares equal to its stored name (`state == "active"`), for readers of rows.
impl PartialEq<&str> for KeyState {
    fn eq(&self, name: &&str) -> bool {
        self.name() == *name
    }
}

impl From<KeyState> for trust::KeyState {
    fn from(s: KeyState) -> trust::KeyState {
        match s {
            KeyState::Active => trust::KeyState::Active,
            KeyState::Retired { at } => trust::KeyState::Retired { at },
            KeyState::Compromised { at } => trust::KeyState::Compromised { at },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_round_trips_through_its_stored_parts() {
        for role in [Role::Admin, Role::Auditor, Role::Officer("kz-75".into())] {
            let office = role.office().map(str::to_owned);
            assert_eq!(Role::from_parts(role.name(), office), Some(role.clone()));
        }
    }

    #[test]
    fn reject_unknown_or_inconsistent_role() {
        assert_eq!(Role::from_parts("superuser", None), None);
        assert_eq!(Role::from_parts("Admin", None), None);
        assert_eq!(Role::from_parts("", None), None);
        // An officer without an office, an admin or auditor with one.
        assert_eq!(Role::from_parts("officer", None), None);
        assert_eq!(Role::from_parts("admin", Some("kz-75".into())), None);
        assert_eq!(Role::from_parts("auditor", Some("kz-75".into())), None);
    }

    #[test]
    fn key_state_round_trips_through_its_stored_parts() {
        for state in [
            KeyState::Active,
            KeyState::Retired { at: UnixTime(7) },
            KeyState::Compromised { at: UnixTime(9) },
        ] {
            assert_eq!(KeyState::from_parts(state.name(), state.at()), Some(state));
            assert!(state == state.name());
        }
    }

    #[test]
    fn reject_unknown_or_inconsistent_key_state() {
        assert_eq!(KeyState::from_parts("revoked", Some(UnixTime(1))), None);
        assert_eq!(KeyState::from_parts("ACTIVE", None), None);
        assert_eq!(KeyState::from_parts("retired", None), None);
        assert_eq!(KeyState::from_parts("compromised", None), None);
        assert_eq!(KeyState::from_parts("active", Some(UnixTime(1))), None);
    }
}
