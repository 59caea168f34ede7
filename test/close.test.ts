import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { JobHandler, JobsModule, JobsService, type JobsModuleOptions } from 'nest-pg-jobs';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

@Injectable()
@JobHandler('close.job')
class CloseHandler {
  async handle(): Promise<void> {}
}

/** app.close() of a context with the module's own connection, bounded: a hang fails the test. */
async function closeWithin(
  ms: number,
  options: JobsModuleOptions,
  handlers: Array<new () => unknown>,
): Promise<number> {
  class Root {}
  Module({
    imports: [
      JobsModule.forRoot({ ...options, connection: { url: databaseUrl() }, migrationsRun: true, isGlobal: true }),
    ],
    providers: handlers,
  })(Root);
  const app = await NestFactory.createApplicationContext(Root, { logger: ['error'] });
  const jobs = app.get(JobsService);
  const job = await jobs.enqueue('close.job', {});
  if (options.workers !== false) {
    await waitFor(async () => (await jobs.get(job.id))?.state === 'completed', { message: 'the job to complete' });
  }
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    app.close().then(() => 'closed'),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hung'), ms))),
  ]);
  clearTimeout(timer);
  assert.equal(outcome, 'closed', `app.close() did not finish within ${ms} ms`);
  return Date.now() - started;
}

describe('app.close() finishes', () => {
  const pool = assertionPool();
  const schemas: string[] = [];
  after(async () => {
    for (const schema of schemas) await dropSchema(pool, schema);
    await pool.end();
  });

  it('on a producer-only node with its own connection', async () => {
    const schema = uniqueSchema('close');
    schemas.push(schema);
    const took = await closeWithin(3_000, { schema, workers: false, allowUnknownTypes: true }, []);
    assert.ok(took < 3_000);
  });

  it('on a worker node with its own connection, after it ran jobs (outcome roll-up pending)', async () => {
    const schema = uniqueSchema('close');
    schemas.push(schema);
    const took = await closeWithin(5_000, { schema, pollIntervalMs: 100 }, [CloseHandler]);
    assert.ok(took < 5_000);
    const rollup = await pool.query(`SELECT coalesce(sum(completed), 0)::int AS n FROM "${schema}".queue_stats`);
    assert.equal(rollup.rows[0].n, 1, 'the last roll-up was written before the connection closed');
  });
});
