// Repro (not a benchmark): does the process exit after app.close() while completion writes keep
// failing? JobsStore.complete is patched to throw, one job runs, then app.close(). The
// WriteBatcher keeps retrying with a ref'd timer after close, so the process never exits.
//   node bench/diag/shutdown-retry-repro.mjs   (Ctrl-C it; DATABASE_URL as for run.sh)
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const require = createRequire(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'));
require('reflect-metadata');
const { NestFactory } = require('@nestjs/core');
const { Injectable, Module } = require('@nestjs/common');
const { JobsModule, JobsService, JobHandler, runMigrations } = require('nest-pg-jobs');
const { JobsStore } = require('nest-pg-jobs/dist/storage/jobs.store');
const pg = require('pg');
const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/bench';
const admin = new pg.Pool({ connectionString: url, max: 1 });
await admin.query('DROP SCHEMA IF EXISTS bench_hang CASCADE');
await runMigrations(admin, 'bench_hang');
await admin.end();
JobsStore.prototype.complete = async () => {
  throw new Error('simulated: database unreachable');
};
let handled = 0;
class H {
  async handle() {
    handled++;
  }
}
Injectable()(H);
JobHandler('t')(H);
class M {}
Module({
  imports: [JobsModule.forRoot({ connection: { url }, schema: 'bench_hang', shutdownGracePeriodMs: 100 })],
  providers: [H],
})(M);
const app = await NestFactory.createApplicationContext(M, { logger: ['error', 'warn'] });
await app.get(JobsService).enqueue('t', {});
while (!handled) await new Promise((r) => setTimeout(r, 20));
const t = Date.now();
await app.close();
console.error(`app.close() returned after ${Date.now() - t} ms; now waiting for the process to exit by itself`);
setInterval(() => console.error(`still alive ${Math.round((Date.now() - t) / 1000)} s after close()`), 5000).unref();
