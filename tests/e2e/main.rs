//! End-to-end tests: the `vpass` binary driven as a user would, and independent
//! implementations checked against vpass.
//!
//! Index of test files:
//! - `cli.rs`: keys, issue, present, verify, qr encode through the binary.

mod cli;
mod util;
