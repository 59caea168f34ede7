// The scale check of issue 27: every dashboard view's API call on a table of millions of jobs, first
// as a bulk load leaves it (no planner statistics), then analyzed, and a clean of a day of completed
// jobs while workers run. Not part of `npm test` (it takes minutes and gigabytes):
//
//   npm run build && node bench/scale.mjs [--rows 5000000] [--keep] [--reuse]
//
// Database: SCALE_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/jobs_scale; created if
// missing, dropped at the end unless --keep; --reuse keeps a table already loaded). Writes the
// figures to bench/results/scale-<stamp>.json and prints them as Markdown (docs/performance.md).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedJobs } from './lib/seed.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const require = createRequire(path.join(ROOT, 'package.json'));
require('reflect-metadata');
const { NestFactory, RouterModule } = require('@nestjs/core');
const { Injectable, Module } = require('@nestjs/common');
const jobs = require('nest-pg-jobs');
const pg = require('pg');

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const value = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const ROWS = Number(value('rows', 5_000_000));
const URL_ = process.env.SCALE_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/jobs_scale';
const SCHEMA = 'scale';
const DAY = 86_400_000;
const log = (msg) => console.error(`[scale ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function ensureDatabase() {
  const url = new URL(URL_);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return async () => {
    const again = new pg.Client({ connectionString: url.toString() });
    await again.connect();
    await again.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await again.end();
  };
}

const quiet = { log() {}, error: (m) => console.error(m), warn: (m) => console.error(m), debug() {}, verbose() {} };

/** The API node: admin API under /api and /metrics, no workers (so nothing analyzes the table). */
async function startApi() {
  class ApiModule {}
  Module({
    imports: [
      jobs.JobsModule.forRoot({
        isGlobal: true,
        connection: { url: URL_, extra: { max: 10 } },
        schema: SCHEMA,
        migrationsRun: true,
        workers: false,
        allowUnknownTypes: true,
      }),
      jobs.JobsApiModule.forRoot({}),
      RouterModule.register([{ path: 'api', module: jobs.JobsApiModule }]),
      jobs.JobsObservabilityModule.forRoot(),
    ],
  })(ApiModule);
  const app = await NestFactory.create(ApiModule, { logger: quiet });
  await app.listen(0, '127.0.0.1');
  return { app, base: `http://127.0.0.1:${app.getHttpServer().address().port}` };
}

/** A worker node with a no-op handler on queue `work`, counting what it handled. */
async function startWorker(counter) {
  class NoopHandler {
    async handle() {
      counter.n++;
    }
  }
  Injectable()(NoopHandler);
  jobs.JobHandler('scale.noop', { queue: 'work' })(NoopHandler);
  class WorkerModule {}
  Module({
    imports: [
      jobs.JobsModule.forRoot({
        connection: { url: URL_, extra: { max: 10 } },
        schema: SCHEMA,
        concurrency: 16,
        // The clean measured is the operator's: the node's own retention would prune the same jobs.
        retention: { completedMs: null, failedMs: null, canceledMs: null },
      }),
    ],
    providers: [NoopHandler],
  })(WorkerModule);
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: quiet });
  await app.init();
  return app;
}

/** Every view's calls, as the dashboard makes them. */
function calls(sample) {
  const ago = (days) => new Date(Date.now() - days * DAY).toISOString();
  return [
    ['Overview, Queues: queues', '/api/queues'],
    ['Overview: nodes', '/api/nodes'],
    ['Overview: activity', '/api/stats/series?minutes=60'],
    ['Prometheus: /metrics', '/metrics'],
    ['Jobs: unfiltered', '/api/jobs?limit=50'],
    ['Jobs: state=running', '/api/jobs?limit=50&state=running'],
    ['Jobs: state=pending', '/api/jobs?limit=50&state=pending'],
    ['Jobs: queue=q1 state=completed', '/api/jobs?limit=50&queue=q1&state=completed'],
    ['Jobs: type=t3', '/api/jobs?limit=50&type=t3'],
    ['Jobs: state=completed by finish time', '/api/jobs?limit=50&state=completed&sort=finishedAt'],
    ['Jobs: a week 20 days back', `/api/jobs?limit=50&from=${ago(27)}&to=${ago(20)}`],
    ['Jobs: the oldest two weeks', `/api/jobs?limit=50&from=${ago(31)}&to=${ago(16)}`],
    ['Jobs: payload search, rare (customer c42)', '/api/jobs?limit=50&q=payload.customer:c42'],
    ['Jobs: payload search, common (region r3)', '/api/jobs?limit=50&q=payload.region:r3'],
    ['Jobs: error search, common', '/api/jobs?limit=50&error=refused'],
    ['Jobs: error search, no match', '/api/jobs?limit=50&error=no-such-error-text'],
    ['Retries', '/api/jobs?limit=50&state=scheduled&retrying=true&sort=runAt&order=asc'],
    ['Dead letters: groups', '/api/dead-letters/groups?limit=500'],
    ['Dead letters: one group', `/api/jobs?limit=50&state=failed&errorGroup=${encodeURIComponent(sample.errorGroup)}`],
    ['Job detail', `/api/jobs/${sample.id}`],
    ['Audit', '/api/audit'],
  ];
}

async function timeCall(base, url) {
  const started = performance.now();
  const res = await fetch(`${base}${url}`, { headers: { accept: 'application/json' } });
  await res.arrayBuffer();
  return { ms: performance.now() - started, status: res.status };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One warm-up and three timed calls of every view; the queue counts' own read timed in-process. */
async function measureViews(api, sample, label) {
  log(`${label}: timing every view's API call (1 warm-up + 3)`);
  const rows = [];
  for (const [view, url] of calls(sample)) {
    await timeCall(api.base, url);
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await timeCall(api.base, url));
    rows.push({ view, url, medianMs: Math.round(median(runs.map((r) => r.ms))), statuses: runs.map((r) => r.status) });
    log(`  ${view}: ${rows.at(-1).medianMs} ms ${rows.at(-1).statuses.join('/')}`);
  }
  const stats = api.app.get(jobs.QueueStatisticsService);
  const counts = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await stats.refresh().catch((err) => log(`  queue counts refresh failed: ${err.message}`));
    counts.push(performance.now() - started);
  }
  const q1 = (await stats.queues().catch(() => [])).find((q) => q.name === 'q1') ?? {};
  rows.push({
    view: 'queue counts refresh (in-process, behind the cache)',
    medianMs: Math.round(median(counts)),
    statuses: [],
  });
  log(
    `  queue counts refresh: ${rows.at(-1).medianMs} ms; q1 ${JSON.stringify(q1.counts)} estimated ${q1.estimatedStates}`,
  );
  return { rows, q1: { counts: q1.counts, estimatedStates: q1.estimatedStates } };
}

/** Clean the oldest day of completed jobs through the API while a worker node works off a backlog. */
async function measureClean(api, client) {
  const counter = { n: 0 };
  log('clean: 800,000 no-op jobs for the worker, then a baseline of its throughput');
  await client.query(
    `INSERT INTO "${SCHEMA}".jobs (queue, type, payload, state, max_attempts)
     SELECT 'work', 'scale.noop', '{}', 'pending', 1 FROM generate_series(1, 800000)`,
  );
  // The oldest day of completed jobs (after a first run: the oldest day left).
  const day = await client.query(
    `WITH o AS (
       SELECT (extract(epoch FROM now() - min(finished_at)) * 1000)::bigint - ${DAY} AS older
       FROM "${SCHEMA}".jobs WHERE state = 'completed')
     SELECT (SELECT count(*)::int FROM "${SCHEMA}".jobs WHERE state = 'completed'
         AND finished_at < now() - o.older * interval '1 millisecond') AS n, o.older::float8 AS "olderThanMs"
     FROM o`,
  );

  const worker = await startWorker(counter);
  const rate = async (ms) => {
    const from = counter.n;
    await new Promise((r) => setTimeout(r, ms));
    return ((counter.n - from) * 1000) / ms;
  };
  await rate(5_000); // warm-up
  const before = await rate(15_000);
  log(`  worker: ${Math.round(before)} jobs/s before; cleaning ${day.rows[0].n} completed jobs of the oldest day`);
  const from = counter.n;
  const started = performance.now();
  const res = await fetch(`${api.base}/api/jobs/clean`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-requested-with': 'scale' },
    body: JSON.stringify({ state: 'completed', olderThanMs: Math.round(day.rows[0].olderThanMs) }),
  });
  const body = await res.json();
  const cleanMs = performance.now() - started;
  const during = ((counter.n - from) * 1000) / cleanMs;
  const after = await rate(15_000);
  log(
    `  clean: ${res.status} ${JSON.stringify(body)} in ${Math.round(cleanMs)} ms; worker ${Math.round(during)} jobs/s during, ${Math.round(after)} after`,
  );
  await worker.close();
  return {
    status: res.status,
    deleted: body.deleted,
    dayRows: day.rows[0].n,
    cleanMs: Math.round(cleanMs),
    rowsPerSecond: Math.round((body.deleted * 1000) / cleanMs),
    workerPerSecond: { before: Math.round(before), during: Math.round(during), after: Math.round(after) },
  };
}

async function main() {
  const drop = await ensureDatabase();
  const api = await startApi();
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  const result = { rows: ROWS, at: new Date().toISOString(), loadavg: os.loadavg(), cpus: os.cpus().length };
  try {
    const existing = (await client.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".jobs`)).rows[0].n;
    if (flag('reuse') && existing >= ROWS) {
      // Back to a table without statistics, as loaded (needs a superuser).
      await client.query(`DELETE FROM pg_statistic WHERE starelid = '"${SCHEMA}".jobs'::regclass`);
      log(`reusing the ${existing.toLocaleString('en')} jobs loaded; their statistics dropped`);
    } else {
      await client.query(`TRUNCATE "${SCHEMA}".jobs CASCADE`);
      // Nothing analyzes it before the first round of measures (autovacuum may be on).
      await client.query(`ALTER TABLE "${SCHEMA}".jobs SET (autovacuum_enabled = false)`);
      log(`loading ${ROWS.toLocaleString('en')} jobs (bench/lib/seed.mjs)`);
      result.load = await seedJobs(client, SCHEMA, ROWS, { analyze: false, progress: (m) => log(`  ${m}`) });
    }
    const size = await client.query(`SELECT pg_size_pretty(pg_total_relation_size('"${SCHEMA}".jobs')) AS total,
      pg_size_pretty(pg_relation_size('"${SCHEMA}".jobs')) AS heap`);
    result.size = size.rows[0];
    const sample = (
      await client.query(
        `SELECT max(id)::text AS id, 'Error: upstream 3 refused' AS "errorGroup" FROM "${SCHEMA}".jobs`,
      )
    ).rows[0];
    await api.app
      .get(jobs.QueueStatisticsService)
      .refresh()
      .catch(() => undefined);
    result.neverAnalyzed = await measureViews(api, sample, 'never analyzed');
    log('ANALYZE');
    const analyzeStart = performance.now();
    await client.query(`ANALYZE "${SCHEMA}".jobs`);
    result.analyzeMs = Math.round(performance.now() - analyzeStart);
    result.analyzed = await measureViews(api, sample, 'analyzed');
    result.clean = await measureClean(api, client);
  } finally {
    await client.end();
    await api.app.close();
    if (!flag('keep')) await drop();
  }
  const dir = path.join(HERE, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `scale-${result.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  console.log(report(result));
  log(`written ${path.relative(ROOT, file)}`);
}

function report(r) {
  const lines = [
    `| View (API call) | never analyzed: median ms (statuses) | analyzed: median ms (statuses) |`,
    `| --- | ---: | ---: |`,
  ];
  r.neverAnalyzed.rows.forEach((row, i) => {
    const other = r.analyzed.rows[i];
    const cell = (x) => `${x.medianMs}${x.statuses.length ? ` (${x.statuses.join('/')})` : ''}`;
    lines.push(`| ${row.view} | ${cell(row)} | ${cell(other)} |`);
  });
  const c = r.clean;
  lines.push(
    '',
    `${r.rows.toLocaleString('en')} jobs, table ${r.size.heap} (${r.size.total} with indexes); ANALYZE ${r.analyzeMs} ms.`,
    `Clean of the oldest day: ${c.deleted.toLocaleString('en')} completed jobs in ${c.cleanMs} ms (${c.rowsPerSecond.toLocaleString('en')} rows/s); ` +
      `worker ${c.workerPerSecond.before} jobs/s before, ${c.workerPerSecond.during} during, ${c.workerPerSecond.after} after.`,
  );
  return lines.join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
