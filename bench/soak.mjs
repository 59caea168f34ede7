#!/usr/bin/env node
// The 1,000,000-job soak: does the engine stay fast once a million jobs went through its table?
//   1. fresh: 50,000 no-op jobs through a new schema, K=16 -> jobs/s;
//   2. soak: 1,000,000 jobs enqueued in bulk with no worker running, then worked off, the worker's
//      RSS sampled every second (it must stay flat: the prefetch is bounded);
//   3. after: 50,000 more through the same table -> jobs/s, compared with the fresh figure.
// Finished jobs are kept (the default retention keeps completed jobs a day), so the table holds
// them all; what keeps it fast is the engine's own design (partial indexes, a plan-stable claim)
// and, where autovacuum is off, its table upkeep. Prints one JSON line and a summary.
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench node bench/soak.mjs   (SOAK_JOBS to change 1M;
//   SOAK_KEEP=1 keeps the schema afterwards for inspection)
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'package.json'));
require('reflect-metadata');
const { NestFactory } = require('@nestjs/core');
const { Injectable, Module } = require('@nestjs/common');
const { JobHandler, JobsModule, JobsService } = require('nest-pg-jobs');
const pg = require('pg');

const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/bench';
const SCHEMA = 'bench_soak';
const SOAK = Number(process.env.SOAK_JOBS || 1_000_000);
const PROBE = 50_000;
const K = 16;
const log = (msg) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const silent = { log() {}, debug() {}, verbose() {}, warn: (m) => log(`warn: ${m}`), error: (m) => log(`error: ${m}`) };

let done = 0;
class SoakHandler {
  async handle() {
    done += 1;
  }
}
Injectable()(SoakHandler);
JobHandler('soak')(SoakHandler);

async function context(workers) {
  class SoakModule {}
  Module({
    imports: [
      JobsModule.forRoot({
        connection: { url, extra: { max: 20 } },
        schema: SCHEMA,
        migrationsRun: true,
        concurrency: K,
        workers,
        allowUnknownTypes: true,
      }),
    ],
    providers: workers ? [SoakHandler] : [],
  })(SoakModule);
  return NestFactory.createApplicationContext(SoakModule, { logger: silent, abortOnError: false });
}

async function enqueue(n) {
  const app = await context(false);
  const jobs = app.get(JobsService);
  const started = Date.now();
  for (let i = 0; i < n; i += 1_000) {
    const items = Array.from({ length: Math.min(1_000, n - i) }, (_, j) => ({ type: 'soak', payload: { i: i + j } }));
    await jobs.enqueueMany(items);
  }
  await app.close();
  return Date.now() - started;
}

/** Works off `n` waiting jobs; returns jobs/s and the RSS samples (MB). */
async function work(n) {
  done = 0;
  const rss = [];
  const started = Date.now();
  const app = await context(true);
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      rss.push(Math.round(process.memoryUsage().rss / 1e6));
      if (done >= n) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
  });
  const ms = Date.now() - started;
  await app.close();
  return { jobsPerSec: Math.round((n / ms) * 1000), ms, rss };
}

async function main() {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  const server = (await admin.query(`SELECT version() AS v, current_setting('autovacuum') AS av`)).rows[0];
  log(`${server.v.split(',')[0]}, autovacuum ${server.av}; ${SOAK} jobs`);

  await enqueue(PROBE);
  const fresh = await work(PROBE);
  log(`fresh: ${fresh.jobsPerSec} jobs/s`);

  const enqueueMs = await enqueue(SOAK);
  log(`soak: enqueued ${SOAK} in ${enqueueMs} ms (${Math.round((SOAK / enqueueMs) * 1000)}/s)`);
  const soak = await work(SOAK);
  const r = soak.rss;
  const rssStart = r[Math.min(r.length - 1, 10)];
  log(`soak: ${soak.jobsPerSec} jobs/s; RSS MB start ${rssStart}, max ${Math.max(...r)}, end ${r[r.length - 1]}`);

  await enqueue(PROBE);
  const after = await work(PROBE);
  const table = (
    await admin.query(
      `SELECT pg_total_relation_size('${SCHEMA}.jobs')::float8 / 1e6 AS mb, n_live_tup::int AS live, n_dead_tup::int AS dead,
         last_vacuum IS NOT NULL OR last_autovacuum IS NOT NULL AS vacuumed
       FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs'`,
      [SCHEMA],
    )
  ).rows[0];
  // SOAK_KEEP=1 leaves the table as the soak left it, to inspect (plans, sizes, dead rows).
  if (!process.env.SOAK_KEEP) await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.end();
  const ratio = after.jobsPerSec / fresh.jobsPerSec;
  const result = {
    scenario: 'soak',
    server: server.v.split(',')[0],
    autovacuum: server.av,
    jobs: SOAK,
    fresh_jobs_per_sec: fresh.jobsPerSec,
    soak_jobs_per_sec: soak.jobsPerSec,
    after_jobs_per_sec: after.jobsPerSec,
    after_over_fresh: Number(ratio.toFixed(3)),
    rss_mb: { start: rssStart, max: Math.max(...r), end: r[r.length - 1] },
    table,
  };
  console.log(JSON.stringify(result));
  log(
    `after ${SOAK} jobs: ${after.jobsPerSec} jobs/s = ${(100 * ratio).toFixed(0)} % of fresh ` +
      `(target >= 80 %); table ${Math.round(table.mb)} MB, ${table.dead} dead rows, vacuumed: ${table.vacuumed}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
