// Adapter for this repository's job engine (nest-pg-jobs) in the peer benchmark harness
// (/work/shared/bench/peers, contract in its README.md). Plain ESM: it requires the
// *compiled* library (libs/jobs/dist, build with `npx tsc -b libs/jobs apps/server`).
//
// How the engine is driven
// - Everything goes through a real Nest application context
//   (NestFactory.createApplicationContext) importing JobsModule.forRoot({ connection, ... }),
//   exactly like an application would: JobsService for enqueue, the module's JobsRunner
//   (claims, completion batching, LISTEN/NOTIFY wake-ups) for work.
// - Handlers are discovered when the module initialises and the workers start in
//   onApplicationBootstrap, but the harness only hands us the handler in startWorker().
//   So two application contexts are used, never at the same time for work:
//     * reset()/attach() boot a *producer* context (workers: false, allowUnknownTypes: true,
//       no handler provider). It serves enqueue()/enqueueMany() before startWorker()
//       (the throughput preload, the enqueue scenario).
//     * startWorker() boots the *worker* context: the same module plus one
//       @JobHandler('bench') provider whose handle(job) awaits the harness handler with
//       job.payload, workers on, concurrency K. Then (default NESTJOBS_ENQUEUE_VIA=worker)
//       the producer context is closed and enqueue() goes through the worker context's
//       JobsService: one Nest app that both produces and works, the way the library is
//       meant to be deployed (JobsService.enqueue also wakes the local runner in-process).
//       NESTJOBS_ENQUEUE_VIA=producer keeps the producer context instead (a separate
//       producer node; the worker is woken by NOTIFY only).
// - reset() drops schema bench_nestjobs and re-creates it with the library's own
//   the producer context's migrationsRun: true (the worker context's is then a no-op).
// - dbStats() counts rows of bench_nestjobs.jobs (finished rows are kept as 'completed').
// - Nest's logger is replaced by one that drops log/debug/verbose and sends warn/error to
//   stderr (the harness keeps stdout for its single JSON line).
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Resolve everything from the project root, so node_modules/nest-pg-jobs -> libs/jobs works.
const ROOT = process.env.NESTJOBS_ROOT || path.resolve(HERE, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
require('reflect-metadata');
const { NestFactory } = require('@nestjs/core');
const { Injectable, Module } = require('@nestjs/common');
const jobs = require('nest-pg-jobs');
const { JobsModule, JobsService, JobHandler, DEFAULTS } = jobs;
const pg = require('pg');

const SCHEMA = process.env.NESTJOBS_SCHEMA || 'bench_nestjobs';
const TYPE = 'bench';
const ENQUEUE_VIA = process.env.NESTJOBS_ENQUEUE_VIA || 'worker'; // 'worker' | 'producer'
if (!['worker', 'producer'].includes(ENQUEUE_VIA)) throw new Error('NESTJOBS_ENQUEUE_VIA must be worker or producer');

export const name = 'nest-jobs';

let dbUrl;
let cfg;
let admin; // plain pg Pool: reset (DROP + runMigrations) and dbStats
let producerApp; // Nest context, workers: false
let workerApp; // Nest context with the handler, workers: true
let producer; // JobsService used by enqueue()/enqueueMany()
let currentHandler = null;

const benchLogger = {
  log() {},
  debug() {},
  verbose() {},
  fatal(...a) {
    console.error('[nest-jobs fatal]', ...a);
  },
  error(...a) {
    console.error('[nest-jobs error]', ...a);
  },
  warn(...a) {
    console.error('[nest-jobs warn]', ...a);
  },
};

let versionString;
export function version() {
  if (versionString) return versionString;
  const v = require(path.join(ROOT, 'libs', 'jobs', 'package.json')).version;
  let rev = '';
  try {
    rev = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'libs/jobs/src'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (dirty) rev += '-dirty';
  } catch {
    // not a git checkout: the package version alone
  }
  versionString = rev ? `${v}+${rev}` : v;
  return versionString;
}

export function settings() {
  return cfg;
}

function envNum(k, d) {
  return process.env[k] !== undefined ? Number(process.env[k]) : d;
}

export async function setup(url, { concurrency = 16 } = {}) {
  dbUrl = url;
  cfg = {
    schema: SCHEMA,
    type: TYPE,
    queue: DEFAULTS.queue,
    concurrency,
    worker_pool_max: envNum('NESTJOBS_POOL_MAX', Math.max(10, concurrency + 2)),
    producer_pool_max: 20,
    pollIntervalMs: envNum('NESTJOBS_POLL_MS', DEFAULTS.pollIntervalMs), // fallback; LISTEN/NOTIFY wakes
    leaseMs: DEFAULTS.leaseMs,
    listen_notify: true,
    claim:
      'one claim in flight: the free slots plus, under a backlog, a prefetch of ~50 ms of work (<= 500), ' +
      'armed ahead of need; an enqueue into an idle queue on this node starts its job directly (library behaviour, not tunable)',
    completion_batching: 'WriteBatcher: one UPDATE in flight, <= 1000 ids each (library behaviour)',
    single_enqueue: 'concurrent enqueue() calls coalesced into one INSERT (library behaviour)',
    enqueue_via:
      ENQUEUE_VIA === 'worker'
        ? "producer context (workers:false) until startWorker, then the worker context's JobsService (same app; in-process wake + NOTIFY)"
        : 'separate producer context (workers:false) throughout; worker woken by NOTIFY only',
    migrations: 'reset() drops the schema; the producer context recreates it (migrationsRun: true)',
    nest: 'NestFactory.createApplicationContext, logger: warn/error to stderr only',
  };
  admin = new pg.Pool({ connectionString: dbUrl, max: 2 });
}

function moduleOptions(extra) {
  return {
    connection: { url: dbUrl, extra: { max: extra.poolMax } },
    schema: SCHEMA,
    migrationsRun: true,
    concurrency: cfg.concurrency,
    pollIntervalMs: cfg.pollIntervalMs,
    ...extra.jobs,
  };
}

async function createProducerApp() {
  class BenchProducerModule {}
  Module({
    imports: [
      JobsModule.forRoot(
        moduleOptions({ poolMax: cfg.producer_pool_max, jobs: { workers: false, allowUnknownTypes: true } }),
      ),
    ],
  })(BenchProducerModule);
  producerApp = await NestFactory.createApplicationContext(BenchProducerModule, {
    logger: benchLogger,
    abortOnError: false,
  });
  producer = producerApp.get(JobsService);
}

async function createWorkerApp(concurrency) {
  class BenchHandler {
    async handle(job) {
      await currentHandler(job.payload);
    }
  }
  Injectable()(BenchHandler);
  JobHandler(TYPE)(BenchHandler);
  class BenchWorkerModule {}
  Module({
    imports: [
      JobsModule.forRoot(moduleOptions({ poolMax: cfg.worker_pool_max, jobs: { workers: true, concurrency } })),
    ],
    providers: [BenchHandler],
  })(BenchWorkerModule);
  workerApp = await NestFactory.createApplicationContext(BenchWorkerModule, {
    logger: benchLogger,
    abortOnError: false,
  });
}

async function closeApps() {
  const apps = [workerApp, producerApp].filter(Boolean);
  workerApp = null;
  producerApp = null;
  producer = null;
  for (const app of apps) await app.close();
}

export async function reset() {
  await closeApps();
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await createProducerApp(); // migrationsRun: true creates the schema again
}

// connect to a schema another process already reset(), without dropping it
export async function attach() {
  await createProducerApp();
}

export async function enqueue(payload) {
  await producer.enqueue(TYPE, payload);
}

export async function enqueueMany(payloads) {
  await producer.enqueueMany(payloads.map((payload) => ({ type: TYPE, payload })));
}

export async function startWorker(concurrency, handler) {
  if (workerApp) throw new Error('worker already started');
  currentHandler = handler;
  await createWorkerApp(concurrency);
  if (ENQUEUE_VIA === 'worker') {
    producer = workerApp.get(JobsService);
    const p = producerApp;
    producerApp = null;
    if (p) await p.close();
  }
}

export async function dbStats() {
  const { rows } = await admin.query(
    `SELECT count(*) FILTER (WHERE state = 'completed')::int AS completed,
            count(*) FILTER (WHERE state <> 'completed')::int AS remaining,
            count(*) FILTER (WHERE state = 'running')::int AS running,
            count(*) FILTER (WHERE state IN ('failed', 'canceled'))::int AS failed_or_canceled,
            count(*) FILTER (WHERE attempts > 1)::int AS retried
       FROM ${SCHEMA}.jobs`,
  );
  return rows[0];
}

export async function stop() {
  await closeApps();
  if (admin) {
    const a = admin;
    admin = null;
    await a.end();
  }
}
