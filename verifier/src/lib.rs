//! vpass offline verifier (in progress).
