#!/usr/bin/env bash
# Benchmarks this repository's job engine (@app/jobs) against graphile-worker (and, on
# request, the other peers) with the shared peer harness, on one PostgreSQL database.
#
#   bash bench/run.sh                         # defaults below, ~4-5 minutes
#   REPS=1 LAT_REPS=1 bash bench/run.sh       # quick look
#   EXTRA_SYSTEMS="pgboss bullmq-pg" bash bench/run.sh
#
# Env: DATABASE_URL (postgres://postgres@127.0.0.1:5432/bench; the database is created if
#      missing), JOBS (20000), CONCURRENCY (16), REPS (3, throughput repetitions),
#      LAT_REPS (3, latency repetitions), EXTRA_SYSTEMS (""; peer adapters run in the
#      throughput and latency rounds too), SIDE_K ("", e.g. "64 256": extra throughput runs
#      of ours and graphile at those K, once per repetition), WITH_ENQUEUE (0; 1 adds the
#      enqueue scenario),
#      PEERS_SRC (/work/shared/bench/peers), PEERS_DIR (~/.cache/nest-jobs-bench/peers: the
#      harness copy with its node_modules), SKIP_BUILD (0).
# Output: bench/results/raw-<UTC stamp>.jsonl (one JSON line per run), logs in
#      bench/results/logs/<stamp>.log, and a summary table on stdout.
# Systems are interleaved inside each repetition, so drift on the shared machine hits all.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench}"
JOBS=${JOBS:-20000}
K=${CONCURRENCY:-16}
REPS=${REPS:-3}
LAT_REPS=${LAT_REPS:-3}
EXTRA_SYSTEMS=${EXTRA_SYSTEMS:-}
WITH_ENQUEUE=${WITH_ENQUEUE:-0}
PEERS_SRC=${PEERS_SRC:-/work/shared/bench/peers}
# The harness copy lives outside the repository (prettier/eslint of the project would check it).
PEERS="${PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nest-jobs-bench/peers}"
ADAPTER="$BENCH/adapters/nest-jobs.mjs"

log() { echo "[bench $(date -u +%T)] $*" >&2; }

# 1. build the library (the adapter loads libs/jobs/dist)
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building: npx tsc -b libs/jobs apps/server"
  (cd "$ROOT" && npx tsc -b libs/jobs apps/server)
fi

# 2. a private copy of the harness, with its pinned dependencies
[ -f "$PEERS_SRC/run.mjs" ] || { echo "no harness at $PEERS_SRC" >&2; exit 1; }
mkdir -p "$PEERS"
find "$PEERS" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
cp -r "$PEERS_SRC"/. "$PEERS"/
chmod -R u+w "$PEERS"
lock_sum=$(sha256sum "$PEERS/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$PEERS/node_modules/.bench-lock-sha256" 2>/dev/null || true)" != "$lock_sum" ]; then
  log "installing the harness's pinned dependencies in $PEERS"
  # npm ci is the intended client; npm 11 refuses this lock file because it lacks the
  # non-Linux optional entries of msgpackr-extract, so fall back to an install that keeps
  # the lock (--no-save) and then check the pinned versions.
  if ! (cd "$PEERS" && npm ci --no-audit --no-fund >&2); then
    log "npm ci refused the lock file; using npm install --no-save (lock versions kept)"
    (cd "$PEERS" && npm install --no-save --no-audit --no-fund >&2)
  fi
  (cd "$PEERS" && node -e '
    const p = require("./package.json"); let bad = 0
    for (const [n, v] of Object.entries(p.dependencies)) {
      const got = require(n + "/package.json").version
      if (got !== v) { console.error(`pinned ${n}@${v}, installed ${got}`); bad++ }
    }
    process.exit(bad)')
  echo "$lock_sum" >"$PEERS/node_modules/.bench-lock-sha256"
fi

# 3. the database
(cd "$PEERS" && node --input-type=module -e '
  import pg from "pg"
  const url = new URL(process.env.DATABASE_URL)
  const db = decodeURIComponent(url.pathname.slice(1))
  const admin = new URL(url); admin.pathname = "/postgres"
  const c = new pg.Client({ connectionString: admin.toString() })
  await c.connect()
  const { rowCount } = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [db])
  if (!rowCount) { await c.query(`CREATE DATABASE "${db.replace(/"/g, "\"\"")}"`); console.error(`created database ${db}`) }
  await c.end()')

# 4. the runs
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BENCH/results/logs"
OUT="$BENCH/results/raw-$STAMP.jsonl"
LOG="$BENCH/results/logs/$STAMP.log"
fails=0
one() { # label, then run.mjs args; env overrides may precede the call
  local label=$1; shift
  log "$label $* (loadavg $(cut -d' ' -f1-3 /proc/loadavg))"
  if (cd "$PEERS" && node run.mjs --label "$label" --timeout-s 300 "$@" >>"$OUT" 2>>"$LOG"); then :; else
    log "   FAILED (rc=$?), see $LOG"; fails=$((fails + 1)); fi
}
ours() { one nest-jobs --adapter "$ADAPTER" "$@"; }
peer() { local s=$1; shift; one "$s" --system "$s" "$@"; }

log "throughput: $JOBS jobs, K=$K, $REPS repetitions; raw lines -> $OUT"
for r in $(seq "$REPS"); do
  ours --scenario throughput --jobs "$JOBS" --concurrency "$K"
  peer graphile --scenario throughput --jobs "$JOBS" --concurrency "$K"
  GRAPHILE_LOCAL_QUEUE=500 one graphile-lq500 --system graphile --scenario throughput --jobs "$JOBS" --concurrency "$K"
  for s in $EXTRA_SYSTEMS; do peer "$s" --scenario throughput --jobs "$JOBS" --concurrency "$K"; done
  for k in ${SIDE_K:-}; do
    ours --scenario throughput --jobs "$JOBS" --concurrency "$k"
    peer graphile --scenario throughput --jobs "$JOBS" --concurrency "$k"
  done
done
[ "$LAT_REPS" -gt 0 ] && log "latency: 2000 jobs at 200/s, K=$K, $LAT_REPS repetitions"
for r in $(seq "$LAT_REPS"); do
  ours --scenario latency --concurrency "$K"
  peer graphile --scenario latency --concurrency "$K"
  for s in $EXTRA_SYSTEMS; do peer "$s" --scenario latency --concurrency "$K"; done
done
if [ "$WITH_ENQUEUE" = 1 ]; then
  ours --scenario enqueue --jobs "$JOBS"
  peer graphile --scenario enqueue --jobs "$JOBS"
fi

log "wrote $OUT ($fails failed runs)"
node "$BENCH/summarize.mjs" "$OUT"
exit $((fails > 0))
