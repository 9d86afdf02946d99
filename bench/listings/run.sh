#!/usr/bin/env bash
# Listing-portal benchmark on PostgreSQL (see bench/listings/README.md).
#
#   DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/domus_bench REDIS_URL=redis://127.0.0.1:6379/6 \
#     BENCH_LISTINGS=100000 bench/listings/run.sh
#
# 1. migrates the database and, when BENCH_LISTINGS is set, (re)loads that many
#    listings with bench/listings/generate.py (COPY);
# 2. measures server-side latency in-process (bench/listings/latency.py; cached answers
#    cold, stale and warm, so REDIS_URL is required: it is the cache and the Celery
#    broker, and the stale refreshes must not run in-process; the cache db is emptied)
#    and writes the EXPLAIN ANALYZE of the slowest query to bench/listings/explain-<n>.txt;
# 3. starts Granian WSGI (2 workers) on 127.0.0.1:$BENCH_PORT and loads every scenario
#    with bench/load.py for BENCH_DURATION seconds (at most 20) at BENCH_CONCURRENCY,
#    then stops the server it started.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=.venv/bin/python
HOST=127.0.0.1
PORT=${BENCH_PORT:-8766}
DURATION=${BENCH_DURATION:-5}
CONCURRENCY=${BENCH_CONCURRENCY:-8}
REQUESTS=${BENCH_REQUESTS:-200}
(( DURATION > 20 )) && DURATION=20
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database (postgres://...)}"
: "${REDIS_URL:?set REDIS_URL to a Redis database of its own (redis://127.0.0.1:6379/6): the bench empties it}"
export DATABASE_URL REDIS_URL DEBUG=false RATE_LIMITS_ENABLED=false
export SECRET_KEY=${SECRET_KEY:-bench-only-secret-key-that-is-long-enough-for-hs256}

$PY manage.py migrate -v0
if [[ -n ${BENCH_LISTINGS:-} ]]; then
  $PY bench/listings/generate.py --count "$BENCH_LISTINGS" --replace
fi
count=$($PY - <<'PY'
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
django.setup()
from domus.properties.models import Listing
print(Listing.objects.count())
PY
)
echo "== server-side latency (in-process, $REQUESTS requests per query)"
$PY bench/listings/latency.py --requests "$REQUESTS" --explain "bench/listings/explain-$count.txt"

echo
echo "== HTTP: Granian WSGI, 2 workers, $CONCURRENCY clients, ${DURATION}s per query"
.venv/bin/granian --interface wsgi --host "$HOST" --port "$PORT" --workers 2 --blocking-threads 2 \
  --log-level warning domus.wsgi:application >var/bench-listings-granian.log 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://$HOST:$PORT/api/v1/health" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "granian did not start; see var/bench-listings-granian.log" >&2; exit 1; }
  sleep 0.2
done
detail_id=$($PY - <<'PY'
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
django.setup()
from domus.properties.models import Listing
from domus.properties.selectors import public_listing_q
print(Listing.objects.filter(public_listing_q()).order_by("-created_at").values_list("pk", flat=True)[1000])
PY
)
$PY bench/listings/http_load.py --base "http://$HOST:$PORT" --detail-id "$detail_id" \
  --concurrency "$CONCURRENCY" --duration "$DURATION"
