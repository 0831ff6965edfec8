#!/usr/bin/env bash
# Run a command with DATABASE_URL pointing at PostgreSQL:
#  1. DATABASE_URL as given, else
#  2. the server on 127.0.0.1:5432 (user postgres), started if installed but stopped, else
#  3. a throwaway cluster under var/pgtest on port 54329, removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DATABASE_URL:-}" ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null \
     && ls /etc/postgresql/*/main >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start \
      2>/dev/null || true
    for _ in $(seq 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/abonent"
  else
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    dir=$(mktemp -d /tmp/abonent-pg.XXXXXX)
    owner=$(id -un)
    if [ "$(id -u)" = 0 ]; then owner=postgres; chown postgres "$dir"; fi
    runas() { if [ "$owner" = "$(id -un)" ]; then "$@"; else runuser -u "$owner" -- "$@"; fi; }
    runas "$bin/initdb" -A trust -U postgres -D "$dir/data" >/dev/null
    runas "$bin/pg_ctl" -D "$dir/data" -o "-p 54329 -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" \
      -l "$dir/log" -w start >/dev/null
    trap 'runas "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null; rm -rf "$dir"' EXIT
    export DATABASE_URL="postgres://postgres@127.0.0.1:54329/abonent"
  fi
fi
# Asterisk's realtime database of the VoIP tests and benchmark: beside the main one
# (the tests create their own copy of it, test_<name>, and load Asterisk's schema).
if [ -z "${ASTERISK_DATABASE_URL:-}" ]; then
  export ASTERISK_DATABASE_URL="${DATABASE_URL%/*}/$(basename "${DATABASE_URL%%\?*}")_asterisk"
fi
"$@"
