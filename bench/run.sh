#!/usr/bin/env bash
# Serving benchmark of Domus on this machine (see bench/README.md).
#
# Uses the embedded default on a throwaway SQLite file (var/bench.sqlite3, recreated
# each run), migrates it, seeds bench users, then for each server (uvicorn ASGI, the
# `make run` server; Granian WSGI with 2 workers when granian is installed) starts it
# on 127.0.0.1:8765, loads `GET /api/v1/health` and an authenticated
# `GET /api/v1/accounts/me/`, stops it, and prints one results table. The load tool is
# wrk when installed (it leaves more CPU to the server), else bench/load.py.
#
# Knobs (environment): BENCH_CONCURRENCY (32), BENCH_DURATION (10 s, at most 20),
# BENCH_USERS (20), BENCH_TOOL (auto|wrk|load), BENCH_SERVERS ("uvicorn granian"),
# BENCH_GRANIAN_THREADS (blocking threads per Granian worker, 2), BENCH_PORT (8765),
# BENCH_WARMUP (unmeasured seconds before each load, 2), BENCH_JSON_OUT (where the JSON
# results go; bench/results/<time>.json), VENV (the virtualenv, .venv).
# `make bench BENCH=serving` runs it with the published settings and adds the
# calibration line (bench/bench.py).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY=$VENV/bin/python
HOST=127.0.0.1
PORT=${BENCH_PORT:-8765}
BASE="http://$HOST:$PORT"
CONCURRENCY=${BENCH_CONCURRENCY:-32}
DURATION=${BENCH_DURATION:-10}
USERS=${BENCH_USERS:-20}
TOOL=${BENCH_TOOL:-auto}
WARMUP=${BENCH_WARMUP:-2}
SERVERS=${BENCH_SERVERS:-uvicorn granian}
GRANIAN_THREADS=${BENCH_GRANIAN_THREADS:-2}
BENCH_EMAIL=bench0001@bench.example.com
BENCH_PASSWORD='Load-Test-2024!x'

[[ -x $PY ]] || { echo "No $VENV: run 'make venv' first." >&2; exit 1; }
if ! [[ $DURATION =~ ^[0-9]+$ ]] || ((DURATION < 1 || DURATION > 20)); then
  echo "BENCH_DURATION must be 1-20 seconds." >&2
  exit 1
fi
if [[ $TOOL == auto ]]; then
  TOOL=load
  command -v wrk >/dev/null 2>&1 && TOOL=wrk
fi
if [[ $TOOL == wrk ]] && ! command -v wrk >/dev/null 2>&1; then
  echo "BENCH_TOOL=wrk but wrk is not installed (apt-get install -y wrk)." >&2
  exit 1
fi

# The embedded default, nothing from the caller's environment that would point elsewhere.
unset DATABASE_URL REDIS_URL CELERY_BROKER_URL
export DJANGO_SETTINGS_MODULE=domus.settings
export SQLITE_PATH="$PWD/var/bench.sqlite3"
export RATE_LIMITS_ENABLED=false LOG_LEVEL=WARNING DEBUG=false
export SECRET_KEY=bench-only-secret-key-not-for-any-real-deployment

mkdir -p var bench/results
RESULTS=$(mktemp)
SERVER_PID=""

stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap 'stop_server; rm -f "$RESULTS"' EXIT

status_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true; }

if [[ $(status_of "$BASE/") != 000 ]]; then
  echo "Something already answers on $BASE; set BENCH_PORT to a free port." >&2
  exit 1
fi

echo "== database: $SQLITE_PATH (fresh)"
rm -f "$SQLITE_PATH" "$SQLITE_PATH-wal" "$SQLITE_PATH-shm"
$PY manage.py migrate --noinput -v 0
$PY bench/seed_bench.py --users "$USERS" --password "$BENCH_PASSWORD"

start_server() {
  case $1 in
    uvicorn)
      $VENV/bin/uvicorn domus.asgi:application --host "$HOST" --port "$PORT" \
        --lifespan off --no-access-log --log-level warning >"var/bench-$1.log" 2>&1 &
      ;;
    granian)
      $VENV/bin/granian --interface wsgi --host "$HOST" --port "$PORT" --workers 2 \
        --blocking-threads "$GRANIAN_THREADS" --log-level warning domus.wsgi:application >"var/bench-$1.log" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    [[ $(status_of "$BASE/api/v1/health") != 000 ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "$1 did not start; see var/bench-$1.log" >&2
  exit 1
}

login() {
  curl -s --max-time 10 -X POST -H 'Content-Type: application/json' \
    -d "{\"email\": \"$BENCH_EMAIL\", \"password\": \"$BENCH_PASSWORD\"}" "$BASE/api/v1/auth/login/" |
    $PY -c 'import json, sys; print(json.load(sys.stdin)["access"])'
}

# load <server> <label> <path> [token]: one measured run, its JSON appended to $RESULTS.
load() {
  local server=$1 label=$2 path=$3 token=${4:-} line
  local -a auth=()
  [[ -n $token ]] && auth=(-H "Authorization: Bearer $token")
  echo "-- $server: $label ($TOOL, $CONCURRENCY connections, ${DURATION} s)"
  if [[ $TOOL == wrk ]]; then
    wrk -t 1 -c "$CONCURRENCY" -d "${WARMUP}s" "${auth[@]}" "$BASE$path" >/dev/null # warm-up, not measured
    line=$(wrk -t 1 -c "$CONCURRENCY" -d "${DURATION}s" --timeout 10s -s bench/wrk_report.lua "${auth[@]}" \
      "$BASE$path" | sed -n 's/^BENCH_JSON //p')
  else
    local -a token_arg=()
    [[ -n $token ]] && token_arg=(--token "$token")
    line=$($PY bench/load.py --json --url "$BASE$path" --concurrency "$CONCURRENCY" --duration "$DURATION" \
      --warmup "$WARMUP" "${token_arg[@]}")
  fi
  echo "$line"
  $PY -c 'import json, sys; r = json.loads(sys.argv[1]); r.update(server=sys.argv[2], endpoint=sys.argv[3]); print(json.dumps(r))' \
    "$line" "$server" "$label" >>"$RESULTS"
}

for server in $SERVERS; do
  if [[ $server == granian ]] && ! [[ -x $VENV/bin/granian ]]; then
    echo "== granian not installed ($VENV/bin/pip install -e '.[prod]'): skipped"
    continue
  fi
  echo "== $server"
  start_server "$server"
  load "$server" "GET /api/v1/health" /api/v1/health
  load "$server" "GET /api/v1/accounts/me/ (JWT)" /api/v1/accounts/me/ "$(login)"
  stop_server
done

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
$PY - "$RESULTS" "${BENCH_JSON_OUT:-bench/results/$STAMP.json}" "$CONCURRENCY" "$DURATION" "$GRANIAN_THREADS" <<'EOF'
import json, os, platform, sys

source, target, concurrency, duration, threads = sys.argv[1:]
rows = [json.loads(line) for line in open(source) if line.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
machine = f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, SQLite (embedded default, DEBUG off)"
servers = {
    "uvicorn": "uvicorn domus.asgi:application, 1 process",
    "granian": f"granian --interface wsgi domus.wsgi:application, 2 workers x {threads} blocking threads",
}
with open(target, "w") as fh:
    json.dump({"machine": machine, "concurrency": int(concurrency), "duration_s": int(duration), "runs": rows}, fh, indent=2)
print(f"\nMachine: {machine}")
for name in dict.fromkeys(r["server"] for r in rows):
    print(f"  {name}: {servers.get(name, name)}")
head = ("server", "endpoint", "tool", "conc", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "statuses")
table = [head] + [
    (
        r["server"], r["endpoint"], r["tool"], concurrency, f'{r["rps"]:.0f}', f'{r["p50_ms"]:.1f}',
        f'{r["p95_ms"]:.1f}', f'{r["p99_ms"]:.1f}', str(r["errors"]),
        " ".join(f"{k}:{v}" for k, v in r["statuses"].items()),
    )
    for r in rows
]
widths = [max(len(row[i]) for row in table) for i in range(len(head))]
for n, row in enumerate(table):
    print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    if n == 0:
        print("  ".join("-" * w for w in widths))
print(f"\n{len(rows)} runs of {duration} s each; JSON in {target}")
EOF
