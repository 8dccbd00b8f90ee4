#!/usr/bin/env bash
# Make sure the PostgreSQL server named by the URL answers; start the machine's cluster if it is down.
set -euo pipefail
url="${1:-postgres://postgres@127.0.0.1:5432/headwater}"
hostport="${url#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"
if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  echo "PostgreSQL is not answering on $host:$port; starting the local cluster..."
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" && exit 0; sleep 1; done
fi
cat >&2 <<MSG
PostgreSQL is needed for this run and is not answering on $host:$port.
Install and start it (Debian: apt-get install postgresql && pg_ctlcluster 15 main start) with a role that may
create databases (trust auth for 'postgres' on 127.0.0.1), or point PG_URL at one:
  make test-pg PG_URL=postgres://USER:PASSWORD@HOST:PORT/headwater
MSG
exit 1
