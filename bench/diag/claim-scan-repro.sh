#!/usr/bin/env bash
# Repro (not a benchmark): cost of one claim when the queue holds many future-scheduled jobs.
# The ready index (queue, priority DESC, run_at, id) WHERE state IN ('pending','scheduled') cannot
# bound run_at <= now() (priority comes first), so a claim that finds fewer ready jobs than its
# LIMIT walks every scheduled entry of the queue.   bash bench/diag/claim-scan-repro.sh [200000]
set -euo pipefail
N=${1:-200000}
URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench}
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
(cd "$ROOT" && node -e "
const {runMigrations}=require('nest-pg-jobs'); const pg=require('pg');
(async()=>{const p=new pg.Pool({connectionString:'$URL'});
await p.query('DROP SCHEMA IF EXISTS bench_scratch CASCADE'); await runMigrations(p,'bench_scratch'); await p.end()})()")
psql "$URL" -X <<SQL
insert into bench_scratch.jobs (queue,type,payload,max_attempts,run_at,state)
  select 'default','bench','{}',5, now()+interval '1 hour' + i*interval '1 ms','scheduled' from generate_series(1,$N) i;
insert into bench_scratch.jobs (queue,type,payload,max_attempts,run_at,state)
  select 'default','bench','{}',5, now(),'pending' from generate_series(1,5) i;
vacuum analyze bench_scratch.jobs;
explain (analyze, buffers) SELECT id FROM bench_scratch.jobs
  WHERE state IN ('pending', 'scheduled') AND queue = 'default' AND run_at <= now() AND type = ANY('{bench}'::text[])
  ORDER BY priority DESC, run_at, id LIMIT 16 FOR UPDATE SKIP LOCKED;
drop schema bench_scratch cascade;
SQL
