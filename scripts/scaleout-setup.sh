#!/usr/bin/env bash
# Installs HAProxy, the load balancer the scale-out test puts in front of three `vpass serve`
# instances (tests/e2e/scaleout.rs), from Debian's packages. Idempotent: does nothing when
# `haproxy` is already there; `apt-get update` runs only if the first install fails.
set -euo pipefail

if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found: install HAProxy 2.x by hand for the scale-out test" >&2
  exit 1
fi
# Root installs directly; anyone else through sudo, if they have it.
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
install() {
  # The test starts its own haproxy; keep the package from starting the system one.
  $sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
    apt-get install -y --no-install-recommends -q haproxy >/dev/null
}
install || { $sudo apt-get update -q >/dev/null && install; }
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]
