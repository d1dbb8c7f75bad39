#!/usr/bin/env bash
# The one test command (README, CI): formatting, lints, then every test of the workspace.
# Idempotent; installs nothing system-wide that is not needed. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check

echo "== cargo clippy -D warnings" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo doc (broken links and missing docs fail)" >&2
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --locked --quiet

echo "== interoperability prerequisites" >&2
scripts/interop-setup.sh || echo "interop setup failed; the interop tests will say why they skip" >&2

echo "== cargo test" >&2
cargo test --workspace --locked
