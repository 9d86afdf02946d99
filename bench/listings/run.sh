#!/usr/bin/env bash
# The listing-portal benchmark now runs through the one entry point (bench/README.md):
#   make bench BENCH=listings SIZE=100000
# This forwards to it (BENCH_LISTINGS is the size; its own database, domus_bench_listings_<size>).
set -euo pipefail
exec make -C "$(dirname "$0")/../.." bench BENCH=listings ${BENCH_LISTINGS:+SIZE=$BENCH_LISTINGS}
