//! vpass offline verifier (in progress).

pub mod i18n;
