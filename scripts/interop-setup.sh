#!/usr/bin/env bash
# Installs the independent implementations the interoperability tests check vpass against
# (npm packages, pinned by tests/interop/package-lock.json). Idempotent and quick when done.
set -euo pipefail
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
