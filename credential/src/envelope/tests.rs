//! Unit tests of the envelope internals.
