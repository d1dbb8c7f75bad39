//! End-to-end tests: the `vpass` binary driven as a user would, and independent
//! implementations checked against vpass.
//!
//! Index of test files:
//! - `cli.rs`: keys, issue, present, verify, qr encode through the binary;
//! - `interop.rs`: SD-JWT VC and VC-JWT exchanged with npm `@sd-jwt/sd-jwt-vc` and `jose`.

mod cli;
mod interop;
mod util;
