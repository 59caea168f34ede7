import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidJobHandlerError, InvalidJobOptionsError, JobHandler } from 'nest-pg-jobs';
import { z } from 'zod';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, uniqueSchema } from './support/database';
import { listenLocally, postJson, restApiImports } from './support/rest';

// Per-handler payload validation (issue 22): `payload: null` for a handler that needs an object
// was accepted; a handler can now declare a check, run wherever a payload enters.

const Invoice = z.object({ invoiceId: z.string().min(1), lines: z.array(z.object({ amount: z.number() })) });

@Injectable()
@JobHandler('val.schema', { validate: Invoice })
class SchemaHandler {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('val.fn', {
  validate: async (payload) =>
    typeof payload === 'object' && payload !== null && 'to' in payload ? true : 'needs a "to" address',
})
class FunctionHandler {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('val.none')
class PlainHandler {
  async handle(): Promise<void> {}
}

describe('payload validation declared by the handler', () => {
  const pool = assertionPool();
  let t: TestApp;
  let base: string;
  const jobCount = async () => (await pool.query(`SELECT count(*)::int AS n FROM "${t.schema}".jobs`)).rows[0].n;

  before(async () => {
    t = await createTestApp([SchemaHandler, FunctionHandler, PlainHandler], {}, restApiImports());
    base = await listenLocally(t);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('refuses a payload its schema or function refuses, naming the field, and writes nothing', async () => {
    const refused = async (promise: Promise<unknown>): Promise<string> => {
      try {
        await promise;
      } catch (err) {
        assert.ok(err instanceof InvalidJobOptionsError, String(err));
        return err.field;
      }
      return 'accepted';
    };
    const before = await jobCount();
    assert.equal(await refused(t.jobs.enqueue('val.schema', null)), 'payload');
    assert.equal(
      await refused(t.jobs.enqueue('val.schema', { invoiceId: 'A', lines: [{ amount: 'x' }] })),
      'payload.lines[0].amount',
    );
    assert.equal(await refused(t.jobs.enqueue('val.fn', { cc: 'x' })), 'payload');
    assert.equal(
      await refused(
        t.jobs.enqueueMany([
          { type: 'val.fn', payload: { to: 'a' } },
          { type: 'val.fn', payload: {} },
        ]),
      ),
      'items[1].payload',
    );
    assert.equal(await jobCount(), before, 'nothing written');
    // Valid payloads, and types without a validator, go through.
    const ok = await t.jobs.enqueue('val.schema', { invoiceId: 'A', lines: [{ amount: 3 }] }, { delayMs: 60_000 });
    assert.equal(ok.created, true);
    assert.equal((await t.jobs.enqueue('val.fn', { to: 'a@example.com' }, { delayMs: 60_000 })).created, true);
    assert.equal((await t.jobs.enqueue('val.none', null, { delayMs: 60_000 })).created, true);
  });

  it('through the API: enqueue, replay with a new payload and schedules answer 400 naming the field', async () => {
    const enqueue = await postJson(`${base}/api/jobs`, { type: 'val.schema', payload: null });
    assert.deepEqual([enqueue.status, enqueue.body.field], [400, 'payload']);
    const schedule = await postJson(`${base}/api/schedules`, {
      name: 'bad-invoices',
      type: 'val.schema',
      cron: '0 3 * * *',
      payload: { invoiceId: '' },
    });
    assert.deepEqual([schedule.status, schedule.body.field], [400, 'payload.invoiceId']);
    const job = await t.jobs.enqueue('val.fn', { to: 'x' }, { delayMs: 60_000 });
    await t.jobs.cancel(job.id);
    const replay = await postJson(`${base}/api/jobs/${job.id}/replay`, { payload: { nobody: true } });
    assert.deepEqual([replay.status, replay.body.field], [400, 'payload']);
    assert.match(replay.body.message, /needs a "to" address/);
    assert.equal((await t.jobs.get(job.id))?.state, 'canceled', 'the job was not replayed');
  });

  it('a validate option that is neither a function nor a Standard Schema stops the start, naming the handler', async () => {
    @Injectable()
    @JobHandler('val.broken', { validate: { parse: () => true } as never })
    class BrokenHandler {
      async handle(): Promise<void> {}
    }
    await assert.rejects(
      createTestApp([BrokenHandler], { schema: uniqueSchema() }),
      (err: Error) => err instanceof InvalidJobHandlerError && /BrokenHandler: Invalid validate/.test(err.message),
    );
  });
});
