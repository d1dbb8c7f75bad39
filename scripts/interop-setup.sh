#!/usr/bin/env bash
# Installs the independent implementations the interoperability tests check vpass against
# (npm packages, pinned by tests/interop/package-lock.json; zxing-cpp and schemathesis from
# PyPI). Idempotent and quick when done. Under CI (CI set, as scripts/test.sh decides) a
# failed install fails this script, since the tests that need it fail there too.
set -euo pipefail

# Report a failed install: fatal under CI, a warning elsewhere (the tests then skip).
failed() {
  echo "$1" >&2
  case "${CI:-}" in
    "" | 0 | false) ;;
    *) exit 1 ;;
  esac
}

# zxing-cpp (C++ QR reader, Python bindings) + pillow: the independent reader of the QR images
# vpass writes (tests/e2e/scan.rs). Pinned; skipped when already importable.
if command -v python3 >/dev/null 2>&1; then
  if ! python3 -c "import zxingcpp, PIL" >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      "zxing-cpp==3.1.1" "pillow==13.0.0" \
      || failed "pip install zxing-cpp pillow failed: the zxing-cpp check will skip"
  fi
  # schemathesis: fuzzes the issuer's served OpenAPI document against the running service
  # (tests/e2e/issuer.rs). Pinned; skipped when already importable.
  if ! python3 -c "import schemathesis" >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      "schemathesis==4.32.5" \
      || failed "pip install schemathesis failed: the OpenAPI fuzz test will skip"
  fi
else
  failed "python3 not found: the zxing-cpp and schemathesis checks will skip"
fi

cd "$(dirname "$0")/../tests/interop"
[ -f package.json ] || exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: interop tests will skip" >&2
  exit 1
fi
# npm writes node_modules/.package-lock.json at the end of an install, so it marks one that
# finished: an interrupted install is redone rather than leaving modules missing.
done_marker=node_modules/.package-lock.json
if [ ! -f "$done_marker" ] || [ package-lock.json -nt "$done_marker" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
