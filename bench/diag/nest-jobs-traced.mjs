// Diagnostic wrapper around ../adapters/nest-jobs.mjs (same contract): counts the engine's
// statements per kind (claim / complete / insert), the rows per claim and per completion
// batch, their round-trip times, and the database's commits and WAL syncs during the run
// (pg_stat_database / pg_stat_wal deltas). Prints one "[trace] {...}" line to stderr at stop().
// Not for timing comparisons (the wrapping costs a little); for explaining them.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import * as base from '../adapters/nest-jobs.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.NESTJOBS_ROOT || path.resolve(HERE, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
// Internals, by path (not the package's public entry): the repositories behind the hot path.
const { AttemptsRepository } = require(path.join(ROOT, 'libs/jobs/dist/storage/attempts.repository'));
const { JobsRepository } = require(path.join(ROOT, 'libs/jobs/dist/storage/jobs.repository'));

const stats = {};
const hist = {};
function track(name, sizeOf) {
  const owner = name in AttemptsRepository.prototype ? AttemptsRepository : JobsRepository;
  const orig = owner.prototype[name];
  owner.prototype[name] = async function (...args) {
    const t = performance.now();
    const res = await orig.apply(this, args);
    const ms = performance.now() - t;
    const s = (stats[name] ||= { calls: 0, rows: 0, ms: 0, empty: 0 });
    const n = sizeOf(args, res);
    s.calls++;
    s.rows += n;
    s.ms += ms;
    if (n === 0) s.empty++;
    const h = (hist[name] ||= {});
    h[n] = (h[n] || 0) + 1;
    if (name === 'claim') {
      const l = (hist.claim_limit ||= {});
      l[args[2]] = (l[args[2]] || 0) + 1;
    }
    return res;
  };
}
track('claim', (a, r) => r.length);
track('complete', (a) => a[0].length);
track('insertOne', () => 1);
track('insertMany', (a) => a[0].length);
track('renew', (a) => a[0].length);
track('fail', (a) => a[0].length);
track('reclaimExpired', (a, r) => r.length);
track('promoteDue', (a, r) => r);

let dbUrl;
let before;
let tStart;
async function dbCounters() {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  const db = (
    await c.query(`SELECT xact_commit::bigint AS commits, xact_rollback::bigint AS rollbacks,
      tup_updated::bigint AS updated FROM pg_stat_database WHERE datname = current_database()`)
  ).rows[0];
  const wal = (
    await c.query(
      'SELECT wal_records::bigint AS records, wal_sync::bigint AS syncs, wal_write::bigint AS writes FROM pg_stat_wal',
    )
  ).rows[0];
  await c.end();
  return { ...db, ...wal };
}

export const name = base.name + '-traced';
export const version = base.version;
export const settings = base.settings;
export const setup = async (url, o) => {
  dbUrl = url;
  return base.setup(url, o);
};
export const reset = base.reset;
export const attach = base.attach;
export const enqueue = base.enqueue;
export const enqueueMany = base.enqueueMany;
export const dbStats = base.dbStats;
export async function startWorker(k, h) {
  for (const k2 of Object.keys(stats)) delete stats[k2];
  for (const k2 of Object.keys(hist)) delete hist[k2];
  before = await dbCounters();
  tStart = performance.now();
  return base.startWorker(k, h);
}
export async function stop() {
  const wallMs = performance.now() - tStart;
  const after = before ? await dbCounters() : null;
  await base.stop();
  const delta = after
    ? Object.fromEntries(Object.keys(after).map((k) => [k, Number(after[k]) - Number(before[k])]))
    : null;
  const top = (h) =>
    Object.entries(h || {})
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8);
  const summary = Object.fromEntries(
    Object.entries(stats).map(([k, s]) => [
      k,
      {
        calls: s.calls,
        rows: s.rows,
        rows_per_call: +(s.rows / s.calls).toFixed(2),
        empty: s.empty,
        avg_ms: +(s.ms / s.calls).toFixed(2),
      },
    ]),
  );
  console.error(
    '[trace] ' +
      JSON.stringify({
        wall_ms_from_startWorker_to_stop: Math.round(wallMs),
        statements: summary,
        claim_rows_hist_top: top(hist.claim),
        claim_limit_hist_top: top(hist.claim_limit),
        complete_batch_hist_top: top(hist.complete),
        db_delta_whole_server_db: delta,
      }),
  );
}
