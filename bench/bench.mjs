#!/usr/bin/env node
// `npm run bench`: this engine against pg-boss, graphile-worker and BullMQ (on PostgreSQL, and on
// Redis when one answers at REDIS_URL) through the shared peer harness, on one PostgreSQL database,
// plus what PostgreSQL itself allows here (pgbench). Systems are interleaved inside each repetition
// so drift on a shared machine hits all of them; only ratios within one run mean anything.
//
//   npm run bench                  # 3 repetitions: throughput K=1/16/64, best tunings, latency, enqueue (~15 min)
//   npm run bench -- --quick       # 1 repetition, K=16 and the main comparisons (under 2 minutes)
//   npm run bench -- --soak        # also the 1,000,000-job soak (bench/soak.mjs), ~10 minutes more
//   options: --reps N, --jobs N (20000), --no-limits, --no-peers (ours only)
// Env: DATABASE_URL (postgres://postgres@127.0.0.1:5432/bench; created if missing), REDIS_URL,
//      PEERS_SRC / PEERS_DIR / LIMITS_SRC (see bench/lib).
// Output: bench/results/bench-<stamp>.jsonl (one line per run) and bench-<stamp>.md (the report),
// bench/results/throughput-<stamp>.svg (the chart).
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { throughputChart } from './lib/chart.mjs';
import { probeLimits } from './lib/limits.mjs';
import { preparePeers } from './lib/peers.mjs';
import { report } from './lib/report.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = flag('--quick');
const REPS = option('--reps', quick ? 1 : 3);
const JOBS = option('--jobs', quick ? 10_000 : 20_000);
const KS = quick ? [1, 16] : [1, 16, 64];
const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/bench';
const log = (msg) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function ensureDatabase() {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const exists = execFileSync(
    'psql',
    ['-qtA', admin.toString(), '-c', `SELECT 1 FROM pg_database WHERE datname = '${name.replace(/'/g, "''")}'`],
    {
      encoding: 'utf8',
    },
  ).trim();
  if (!exists) execFileSync('psql', ['-q', admin.toString(), '-c', `CREATE DATABASE "${name.replace(/"/g, '""')}"`]);
}

function redisAnswers() {
  const u = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
  return new Promise((resolve) => {
    const socket = createConnection({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z');
const resultsDir = path.join(BENCH, 'results');
mkdirSync(resultsDir, { recursive: true });
const out = path.join(resultsDir, `bench-${stamp}.jsonl`);
let failures = 0;

/** One harness run; its JSON line goes to `out`. */
function run(peers, label, runArgs, env = {}) {
  log(`${label} ${runArgs.join(' ')} (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  const res = spawnSync(process.execPath, ['run.mjs', '--label', label, '--timeout-s', '300', ...runArgs], {
    cwd: peers,
    env: { ...process.env, DATABASE_URL: url, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = res.stdout.trim().split('\n').pop();
  if (!line) {
    failures += 1;
    log(`  no result: ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return;
  }
  appendFileSync(out, `${line}\n`);
  const r = JSON.parse(line).results;
  if (!r.verified) {
    failures += 1;
    log(`  NOT VERIFIED: ${r.error ?? JSON.stringify(r.checks)}`);
  }
}

async function main() {
  ensureDatabase();
  log('building the library: npx tsc -b libs/jobs');
  execFileSync('npx', ['tsc', '-b', 'libs/jobs'], { cwd: ROOT, stdio: 'inherit' });
  const peers = preparePeers(ROOT, log);
  const ours = ['--adapter', path.join(BENCH, 'adapters', 'nest-jobs.mjs')];
  const withPeers = !flag('--no-peers');
  const systems = withPeers ? ['graphile', 'pgboss', 'bullmq-pg'] : [];
  if (withPeers && (await redisAnswers())) systems.push('bullmq-redis');
  const limits = flag('--no-limits') ? null : probeLimits(ROOT, url, quick ? 3 : 6, log, quick);
  log(`systems: nest-jobs ${systems.join(' ')}; ${REPS} repetition(s), ${JOBS} jobs, K ${KS.join('/')}`);

  for (let rep = 1; rep <= REPS; rep++) {
    for (const k of KS) {
      const scenario = ['--scenario', 'throughput', '--jobs', String(JOBS), '--concurrency', String(k)];
      run(peers, 'nest-jobs', [...ours, ...scenario]);
      for (const s of systems) if (!quick || k === 16 || s === 'graphile') run(peers, s, ['--system', s, ...scenario]);
    }
    if (withPeers) {
      const k16 = ['--scenario', 'throughput', '--jobs', String(JOBS), '--concurrency', '16'];
      run(peers, 'graphile-lq500', ['--system', 'graphile', ...k16], { GRAPHILE_LOCAL_QUEUE: '500' });
      run(peers, 'pgboss-batch1000', ['--system', 'pgboss', ...k16], { PGBOSS_BATCH_SIZE: '1000' });
    }
    const latency = ['--scenario', 'latency', '--concurrency', '16', ...(quick ? ['--latency-jobs', '1000'] : [])];
    run(peers, 'nest-jobs', [...ours, ...latency]);
    for (const s of systems) if (!quick || s === 'graphile') run(peers, s, ['--system', s, ...latency]);
    const enqueue = ['--scenario', 'enqueue', '--jobs', String(JOBS)];
    run(peers, 'nest-jobs', [...ours, ...enqueue]);
    for (const s of systems) run(peers, s, ['--system', s, ...enqueue]);
  }

  const rows = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const env = rows[0]?.env ?? {};
  const head = [
    `# Benchmark ${stamp}`,
    '',
    `\`npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}\`; ${rows.length} runs (${failures} failed or unverified); ` +
      `node ${env.node}, ${env.cpus} CPUs, PostgreSQL ${env.postgres}, synchronous_commit ${env.pg_settings?.synchronous_commit}; ` +
      `raw lines: bench/results/bench-${stamp}.jsonl`,
    '',
  ];
  const text = [...head, report(rows, limits, KS), ''].join('\n');
  writeFileSync(path.join(resultsDir, `bench-${stamp}.md`), text);
  writeFileSync(
    path.join(resultsDir, `throughput-${stamp}.svg`),
    throughputChart(rows, KS, `Throughput, no-op jobs (${stamp})`),
  );
  console.log(text);

  if (flag('--soak')) {
    log('soak: 1,000,000 jobs through the engine (bench/soak.mjs)');
    const soak = spawnSync(process.execPath, [path.join(BENCH, 'soak.mjs')], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: 'inherit',
    });
    if (soak.status !== 0) failures += 1;
  }
  process.exit(failures > 0 ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
