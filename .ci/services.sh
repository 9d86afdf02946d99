#!/usr/bin/env bash
# Start PostgreSQL 15 and Redis on 127.0.0.1 when they are not running (Debian packages),
# wait until both answer, and give the postgres user the password 'postgres'.
# Used by .ci/run before the PostgreSQL test run and by `make bench` (bench/bench.py).
# Idempotent: services already up are left as they are.
set -euo pipefail

PGHOST=127.0.0.1
PGPORT=5432
REDIS_PORT=6379

if ! command -v redis-server >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
pg_ctlcluster 15 main start 2>/dev/null || pg_ctlcluster 15 main status >/dev/null
redis-cli -h "$PGHOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 ||
  redis-server --bind "$PGHOST" --port "$REDIS_PORT" --daemonize yes --save "" --appendonly no
for _ in $(seq 1 30); do
  pg_isready -q -h "$PGHOST" -p "$PGPORT" && redis-cli -h "$PGHOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 1
done
pg_isready -h "$PGHOST" -p "$PGPORT"
redis-cli -h "$PGHOST" -p "$REDIS_PORT" ping
su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres';\""
