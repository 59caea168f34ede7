#!/usr/bin/env node
// Runs the test suite against real PostgreSQL: the server at DATABASE_URL when it is set, else an
// embedded PostgreSQL started for this run (in a temporary directory, removed afterwards).
// Each test file makes its own schema (or database), so files run in parallel without sharing state.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const testDist = join(root, 'test', 'dist');

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

function run(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const filter = process.argv.slice(2);
const build = await run('npx', ['tsc', '-b', 'test'], process.env);
if (build !== 0) process.exit(build);
// The dashboard's build (libs/jobs/dist/ui), once before the files run in parallel: the server and
// JobsDashboardModule serve it, and two files building it at once would race.
const { ensureDashboardBuilt } = await import(join(testDist, 'browser/support.js'));
ensureDashboardBuilt();
let files = findTests(testDist).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((pattern) => f.includes(pattern)));

let embedded;
let dataDir;
const env = { ...process.env };
if (!env.DATABASE_URL) {
  const { startEmbeddedPostgres } = await import(join(root, 'apps/server/dist/embedded-db.js'));
  dataDir = mkdtempSync(join(tmpdir(), 'jobs-test-pg-'));
  chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as the 'postgres' user and must reach it
  const started = Date.now();
  embedded = await startEmbeddedPostgres(join(dataDir, 'data'), { persistent: false });
  env.DATABASE_URL = embedded.url;
  env.JOBS_TEST_EMBEDDED_DIR = embedded.dataDir;
  console.warn(`# embedded PostgreSQL started in ${Date.now() - started} ms at ${embedded.url}`);
} else {
  console.warn(`# using DATABASE_URL=${env.DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}`);
}

let code = 1;
try {
  const concurrency = process.env.JOBS_TEST_CONCURRENCY ?? '2';
  code = await run(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], env);
} finally {
  await embedded?.stop().catch((err) => console.error(err));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
