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
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
