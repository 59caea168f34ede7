#!/usr/bin/env bash
# Repro (not a benchmark): the completion UPDATE's cached generic plan. Named statements are
# prepared per connection; after 5 runs PostgreSQL may keep a generic plan, where unnest($1) is
# estimated at 10 rows and the node's running rows (stats taken while they were pending) at 1,
# so it nests a loop: every running row of the node x every id of the batch.
#   bash bench/diag/complete-plan-repro.sh [20000 running rows] [1000 ids]
set -euo pipefail
N=${1:-20000}; B=${2:-1000}
URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench}
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
(cd "$ROOT" && node -e "
const {runMigrations}=require('nest-pg-jobs'); const pg=require('pg');
(async()=>{const p=new pg.Pool({connectionString:'$URL'});
await p.query('DROP SCHEMA IF EXISTS bench_scratch CASCADE'); await runMigrations(p,'bench_scratch'); await p.end()})()")
psql "$URL" -X <<SQL
alter table bench_scratch.jobs set (autovacuum_enabled = false);
insert into bench_scratch.jobs (queue,type,payload,max_attempts,state)
  select 'default','bench','{}',5,'pending' from generate_series(1,$N);
analyze bench_scratch.jobs;   -- statistics as after a preload: everything pending
update bench_scratch.jobs set state='running', attempts=1, locked_by='w1', locked_until=now()+interval '1h';
prepare c(bigint[], int[], text) as UPDATE bench_scratch.jobs j
  SET state = 'completed', finished_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL
  FROM unnest(\$1::bigint[], \$2::int[]) AS d(id, attempt)
  WHERE j.id = d.id AND j.state = 'running' AND j.locked_by = \$3 AND j.attempts = d.attempt RETURNING j.id;
select array_agg(id)::text as ids from (select id from bench_scratch.jobs order by id limit $B) s \gset
set plan_cache_mode = force_custom_plan;
begin; explain (analyze, costs off) execute c(:'ids', array_fill(1, array[$B]), 'w1'); rollback;
set plan_cache_mode = force_generic_plan;
begin; explain (analyze, costs off) execute c(:'ids', array_fill(1, array[$B]), 'w1'); rollback;
drop schema bench_scratch cascade;
SQL
