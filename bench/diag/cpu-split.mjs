// Where the CPU goes while a backlog is worked off: the worker process's own CPU and the CPU of
// every PostgreSQL process, per job, for this engine or a peer of the shared harness.
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \
//     node bench/diag/cpu-split.mjs nest-jobs|graphile|pgboss [jobs=40000] [concurrency=16]
// Peers' settings come from their adapters' environment (GRAPHILE_LOCAL_QUEUE=500, say).
// PostgreSQL must run on this machine: its processes are found in /proc by name (`postgres`), so
// run nothing else against it meanwhile. PROF=<dir> also writes a CPU profile of the worker phase
// (node --cpu-prof is not used: it would profile the preload too). PRE_SQL=<file> runs its
// statements after the preload, to try a variant (an index, a setting).
// Prints one JSON line: jobs/s, worker µs/job, PostgreSQL µs/job, and both as a share of the run.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { homedir } from 'node:os';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const [system = 'nest-jobs', jobsArg = '40000', kArg = '16'] = process.argv.slice(2);
const JOBS = Number(jobsArg);
const K = Number(kArg);
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/bench';
const peers = process.env.PEERS_DIR ?? path.join(homedir(), '.cache', 'nest-jobs-bench', 'peers');
const adapterFile =
  system === 'nest-jobs'
    ? path.join(HERE, '..', 'adapters', 'nest-jobs.mjs')
    : path.join(peers, 'adapters', `${system}.mjs`);
const A = await import(adapterFile);

const TICK_US = 1e6 / 100; // /proc times are in clock ticks (USER_HZ 100 on Linux)

/** CPU time (µs) of each process named `postgres`, by pid. */
function postgresCpu() {
  const cpu = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) * TICK_US);
    } catch {
      // gone between readdir and read
    }
  }
  return cpu;
}

function postgresDelta(before, after) {
  let us = 0;
  for (const [pid, t] of after) us += t - (before.get(pid) ?? 0);
  return us;
}

await A.setup(url, { concurrency: K });
await A.reset();
for (let off = 0; off < JOBS; off += 1000) {
  await A.enqueueMany(Array.from({ length: Math.min(1000, JOBS - off) }, (_, j) => ({ i: off + j })));
}
const pgModule = await import(path.join(peers, 'node_modules', 'pg', 'lib', 'index.js'));
const analyze = new pgModule.default.Client({ connectionString: url });
await analyze.connect();
// PRE_SQL=<file>: statements run after the preload (to try an index or setting variant).
if (process.env.PRE_SQL) await analyze.query(readFileSync(process.env.PRE_SQL, 'utf8'));
await analyze.query('ANALYZE');
await analyze.end();

let session;
if (process.env.PROF) {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
let calls = 0;
let resolveDone;
const done = new Promise((resolve) => (resolveDone = resolve));
const pgBefore = postgresCpu();
const nodeBefore = process.cpuUsage();
const t0 = performance.now();
await A.startWorker(K, async () => {
  if (++calls === JOBS) resolveDone();
});
await done;
const seconds = (performance.now() - t0) / 1000;
const node = process.cpuUsage(nodeBefore);
const pgUs = postgresDelta(pgBefore, postgresCpu());
if (session) {
  const { profile } = await session.post('Profiler.stop');
  mkdirSync(process.env.PROF, { recursive: true });
  const file = path.join(process.env.PROF, `${system}-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.error(`profile: ${file}`);
}
await A.stop();
const nodeUs = node.user + node.system;
console.log(
  JSON.stringify({
    system,
    settings: process.env.GRAPHILE_LOCAL_QUEUE ? { localQueue: Number(process.env.GRAPHILE_LOCAL_QUEUE) } : undefined,
    jobs: JOBS,
    concurrency: K,
    jobs_per_s: Math.round(JOBS / seconds),
    worker_cpu_us_per_job: +(nodeUs / JOBS).toFixed(1),
    postgres_cpu_us_per_job: +(pgUs / JOBS).toFixed(1),
    cpu_cores_busy: +((nodeUs + pgUs) / 1e6 / seconds).toFixed(2),
  }),
);
process.exit(0);
