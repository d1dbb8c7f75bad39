//! vpass issuer: the front-office service.
//!
//! Will hold the HTTP API and web pages (axum), storage (sqlx; SQLite by default, PostgreSQL
//! for scale), offices and their signing keys, operators and roles, issuance (single and
//! batch), revocation, status-list and trust-list publication, OpenID4VCI and the audit log.
//! It signs through `vpass_credential`; today local signing lives in `vpass issue --key`.
