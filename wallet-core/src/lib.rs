//! vpass wallet core: the volunteer's offline wallet library.
//!
//! Will hold the encrypted store, receiving credentials (OpenID4VCI, file), checking them on
//! receipt, the passport summary, and building presentations with selective disclosure and
//! key binding. Presentations are built today by `vpass_credential::sdjwt::present`.
