//! End-to-end tests: the `vpass` binary driven as a user would, and independent
//! implementations checked against vpass.
//!
//! Index of test files:
//! - `cli.rs`: keys, issue, present, verify, qr encode through the binary;
//! - `issuer.rs`: `vpass serve` as a process: issue, verify offline, revoke, verify again;
//! - `interop.rs`: SD-JWT VC and VC-JWT exchanged with npm `@sd-jwt/sd-jwt-vc` and `jose`;
//! - `josekit.rs`: the same with josekit (Rust, OpenSSL), the JOSE library the design names;
//! - `scaleout.rs`: three `vpass serve` on one PostgreSQL behind HAProxy, one killed mid-way;
//! - `scan.rs`: QR images — `present --out`, `verify --image`, `qr decode`, and zxing-cpp.

mod cli;
mod interop;
mod issuer;
mod josekit;
mod scaleout;
mod scan;
mod util;
