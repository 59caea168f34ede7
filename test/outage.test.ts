import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobHandler, JobsUnavailableError } from 'nest-pg-jobs';
import { createTestApp, type TestApp } from './support/app';
import { assertionPool, countByState, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { TcpProxy } from './support/tcp-proxy';
import { waitFor } from './support/wait';

const runs: string[] = [];

@Injectable()
@JobHandler('outage.job')
class OutageHandler {
  async handle(job: { id: string }): Promise<void> {
    runs.push(job.id);
  }
}

describe('the database becomes unreachable', () => {
  const pool = assertionPool();
  const schema = uniqueSchema('outage');
  const target = new URL(databaseUrl());
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  let t: TestApp;

  before(async () => {
    await proxy.up();
    const url = new URL(databaseUrl());
    url.port = String(proxy.port);
    // The module's own connection goes through the proxy; the assertion pool does not.
    t = await createTestApp([OutageHandler], {
      schema,
      connection: { url: url.toString(), connectTimeoutMS: 1_000 },
      pollIntervalMs: 100,
      leaseMs: 5_000,
    });
  });
  after(async () => {
    await proxy.up();
    await t?.close().catch(() => undefined);
    await proxy.down();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('enqueue fails fast with JobsUnavailableError when connections are refused, and writes nothing', async () => {
    const before = await t.jobs.enqueue('outage.job', {});
    await waitFor(async () => (await countByState(pool, schema)).completed === 1, {
      message: 'a first job to be recorded completed',
    });
    assert.ok(runs.includes(before.id));
    await proxy.down();
    const started = Date.now();
    await assert.rejects(t.jobs.enqueue('outage.job', {}), (err: unknown) => {
      assert.ok(err instanceof JobsUnavailableError, `got ${String(err)}`);
      assert.match(err.message, /Cannot enqueue: the database is unreachable/);
      return true;
    });
    assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(await countByState(pool, schema), { completed: 1 });
  });

  it('enqueue against a host that never answers fails after the connect timeout instead of hanging', async () => {
    await proxy.up();
    proxy.blackhole();
    const started = Date.now();
    await assert.rejects(t.jobs.enqueue('outage.job', {}), JobsUnavailableError);
    const took = Date.now() - started;
    assert.ok(took < 4_000, `took ${took} ms with a 1 s connect timeout`);
  });

  it('when the database is back, workers resume by themselves and nothing was lost', async () => {
    await proxy.down();
    await proxy.up();
    const job = await waitFor(
      async () => {
        try {
          return await t.jobs.enqueue('outage.job', { after: true });
        } catch (err) {
          if (err instanceof JobsUnavailableError) return undefined;
          throw err;
        }
      },
      { timeoutMs: 10_000, message: 'enqueue to work again' },
    );
    await waitFor(() => runs.includes(job.id), { timeoutMs: 10_000, message: 'the new job to run' });
    await waitFor(async () => (await countByState(pool, schema)).completed === 2, { message: 'two jobs completed' });
    assert.deepEqual(await countByState(pool, schema), { completed: 2 });
  });
});
