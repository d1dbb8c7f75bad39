//! End-to-end tests across the vpass crates live in `e2e/`; this library is empty on purpose.
