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

# Under CI (CI set to anything but "", 0 or false) a tool the tests need that cannot be
# installed fails the run here, and the tests that need it fail rather than skip; elsewhere
# they skip saying what is missing and which script installs it.
echo "== outside tools: interoperability packages, HAProxy" >&2
case "${CI:-}" in
  "" | 0 | false)
    scripts/interop-setup.sh || echo "interop setup failed; the interop tests will say why they skip" >&2
    scripts/scaleout-setup.sh || echo "HAProxy setup failed; the scale-out test will say why it skips" >&2
    ;;
  *)
    scripts/interop-setup.sh
    scripts/scaleout-setup.sh
    ;;
esac

echo "== cargo test" >&2
cargo test --workspace --locked
