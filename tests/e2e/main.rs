//! End-to-end tests: the `vpass` binary driven as a user would.

mod interop;
