import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  InvalidJobOptionsError,
  JobHandler,
  PayloadTooLargeError,
  UnknownJobTypeError,
  type EnqueueItem,
  type Job,
} from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, uniqueSchema } from './support/database';
import { deferred, waitFor } from './support/wait';

@Injectable()
@JobHandler('noop')
class NoopHandler {
  async handle(): Promise<void> {}
}

const gates = new Map<string, { promise: Promise<void>; resolve: () => void }>();

/** Holds the single slot of queue `ordered` until the test opens it. */
@Injectable()
@JobHandler('gate', { queue: 'ordered' })
class GateHandler {
  async handle(job: Job<{ key: string }>): Promise<void> {
    const gate = deferred();
    gates.set(job.payload.key, gate);
    await gate.promise;
  }
}

/** Start order of `ordered` jobs, by name. */
const started: string[] = [];

@Injectable()
@JobHandler('ordered', { queue: 'ordered' })
class OrderedHandler {
  async handle(job: Job<{ name: string }>): Promise<void> {
    started.push(job.payload.name);
  }
}

/** Start order of `batch` jobs, by name (a queue whose jobs are claimed many at a time). */
const batchStarted: string[] = [];

@Injectable()
@JobHandler('batched', { queue: 'batch' })
class BatchedHandler {
  async handle(job: Job<{ name: string }>): Promise<void> {
    batchStarted.push(job.payload.name);
  }
}

const HANDLERS = [NoopHandler, GateHandler, OrderedHandler, BatchedHandler];
const TERMINAL = new Set(['completed', 'failed', 'canceled']);

interface JobDbRow {
  id: string;
  state: string;
  priority: number;
  attempts: number;
  run_at: Date;
  created_at: Date;
  started_at: Date | null;
}

describe('scheduling, priority and enqueue validation', () => {
  const pool = assertionPool();
  let t: TestApp;

  const jobRow = async (id: string, schema = t.schema): Promise<JobDbRow> =>
    (await pool.query<JobDbRow>(`SELECT * FROM "${schema}".jobs WHERE id = $1`, [id])).rows[0];
  const settled = async (id: string, state: string, schema = t.schema): Promise<JobDbRow> => {
    const row = await waitFor(
      async () => {
        const r = await jobRow(id, schema);
        return TERMINAL.has(r.state) ? r : undefined;
      },
      { message: `job ${id} to finish` },
    );
    assert.equal(row.state, state);
    return row;
  };
  const count = async (): Promise<number> =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t.schema}".jobs`)).rows[0].n;
  /** Runs `ordered` jobs enqueued by `enqueue` while a gate holds the queue's only slot. */
  const startOrder = async (enqueue: () => Promise<Job[]>): Promise<string[]> => {
    const key = `gate-${gates.size}`;
    const gate = await t.jobs.enqueue('gate', { key });
    await waitFor(() => gates.has(key), { message: 'the gate to hold the slot' });
    started.length = 0;
    const jobs = await enqueue();
    for (const job of jobs) assert.equal((await jobRow(job.id)).state, 'pending');
    gates.get(key)!.resolve();
    for (const job of jobs) await settled(job.id, 'completed');
    await settled(gate.id, 'completed');
    return [...started];
  };

  before(async () => {
    t = await createTestApp(HANDLERS, { maxPayloadBytes: 1000, queues: { ordered: { concurrency: 1 } } });
  });
  after(async () => {
    for (const gate of gates.values()) gate.resolve();
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('a delayed job is scheduled, and does not start before its delay', async () => {
    const job = await t.jobs.enqueue('noop', {}, { delayMs: 800 });
    assert.equal(job.state, 'scheduled');
    assert.equal((await jobRow(job.id)).state, 'scheduled');
    const row = await settled(job.id, 'completed');
    assert.equal(row.attempts, 1);
    const waited = +row.started_at! - +row.created_at;
    assert.ok(waited >= 800, `started ${waited} ms after it was created`);
    assert.ok(waited < 800 + 2_000, `started ${waited} ms after it was created`);
    const exact = await pool.query<{ ok: boolean }>(
      `SELECT started_at >= created_at + interval '800 milliseconds' AND run_at = created_at + interval '800 milliseconds' AS ok
       FROM "${t.schema}".jobs WHERE id = $1`,
      [job.id],
    );
    assert.equal(exact.rows[0].ok, true);
  });

  it('a job with a future runAt is scheduled, and does not start before it', async () => {
    const runAt = new Date(Date.now() + 800);
    const job = await t.jobs.enqueue('noop', {}, { runAt });
    assert.equal(job.state, 'scheduled');
    assert.equal(+job.runAt, +runAt);
    assert.equal((await jobRow(job.id)).state, 'scheduled');
    const row = await settled(job.id, 'completed');
    assert.ok(+row.started_at! >= +runAt, `started ${+runAt - +row.started_at!} ms early`);
    assert.equal(+row.run_at, +runAt);
    // A run time in the past is ready at once.
    const past = await t.jobs.enqueue('noop', {}, { runAt: new Date(Date.now() - 60_000) });
    assert.equal(past.state, 'pending');
    await settled(past.id, 'completed');
  });

  it('higher priority starts first', async () => {
    const order = await startOrder(async () => [
      await t.jobs.enqueue('ordered', { name: 'low' }, { priority: -5 }),
      await t.jobs.enqueue('ordered', { name: 'high' }, { priority: 10 }),
      await t.jobs.enqueue('ordered', { name: 'mid' }, { priority: 0 }),
    ]);
    assert.deepEqual(order, ['high', 'mid', 'low']);
  });

  it('equal priority starts in run time order (FIFO)', async () => {
    const order = await startOrder(async () => [
      await t.jobs.enqueue('ordered', { name: 'a' }),
      await t.jobs.enqueue('ordered', { name: 'b' }),
      await t.jobs.enqueue('ordered', { name: 'c' }),
    ]);
    assert.deepEqual(order, ['a', 'b', 'c']);
    // By run time, not by insertion: explicit run times in the past reorder them.
    const now = Date.now();
    const byRunAt = await startOrder(async () => [
      await t.jobs.enqueue('ordered', { name: 'newest' }, { runAt: new Date(now - 1_000) }),
      await t.jobs.enqueue('ordered', { name: 'oldest' }, { runAt: new Date(now - 3_000) }),
      await t.jobs.enqueue('ordered', { name: 'middle' }, { runAt: new Date(now - 2_000) }),
      await t.jobs.enqueue('ordered', { name: 'urgent' }, { runAt: new Date(now - 500), priority: 1 }),
    ]);
    assert.deepEqual(byRunAt, ['urgent', 'oldest', 'middle', 'newest']);
  });

  it('jobs claimed together start in priority, run time, then id order', async () => {
    // A producer-only node fills a fresh schema first, so the worker claims them all in one go.
    const schema = uniqueSchema();
    let producer: TestApp | undefined;
    let worker: TestApp | undefined;
    try {
      producer = await createTestApp(HANDLERS, { schema, workers: false });
      const names = Array.from({ length: 30 }, (_, i) => `n${String(i).padStart(2, '0')}`);
      const items: Array<EnqueueItem<{ name: string }>> = names.map((name, i) => ({
        type: 'batched',
        payload: { name },
        priority: i % 3 === 0 ? 5 : 0,
      }));
      const jobs = await producer.jobs.enqueueMany(items);
      const later = await producer.jobs.enqueue('batched', { name: 'later' }, { priority: 5 });
      const expected = [...names.filter((_, i) => i % 3 === 0), 'later', ...names.filter((_, i) => i % 3 !== 0)];
      batchStarted.length = 0;
      worker = await createTestApp(HANDLERS, { schema, queues: { batch: { concurrency: 50 } } });
      for (const job of [...jobs, later]) await settled(job.id, 'completed', schema);
      assert.deepEqual(batchStarted, expected);
    } finally {
      await disposeTestApp(worker, pool);
      await disposeTestApp(producer, pool);
    }
  });

  it('rejects invalid enqueue options naming the field, and writes nothing', async () => {
    const before = await count();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ['priority 1e6', () => t.jobs.enqueue('noop', {}, { priority: 1e6 }), 'priority'],
      ['priority 1.5', () => t.jobs.enqueue('noop', {}, { priority: 1.5 }), 'priority'],
      ['priority NaN', () => t.jobs.enqueue('noop', {}, { priority: NaN }), 'priority'],
      ['priority -32769', () => t.jobs.enqueue('noop', {}, { priority: -32_769 }), 'priority'],
      ['maxAttempts 0', () => t.jobs.enqueue('noop', {}, { maxAttempts: 0 }), 'maxAttempts'],
      ['maxAttempts 1001', () => t.jobs.enqueue('noop', {}, { maxAttempts: 1_001 }), 'maxAttempts'],
      ['delayMs -1', () => t.jobs.enqueue('noop', {}, { delayMs: -1 }), 'delayMs'],
      ['delayMs 1.5', () => t.jobs.enqueue('noop', {}, { delayMs: 1.5 }), 'delayMs'],
      ['runAt invalid Date', () => t.jobs.enqueue('noop', {}, { runAt: new Date('nope') }), 'runAt'],
      ['runAt not a Date', () => t.jobs.enqueue('noop', {}, { runAt: '2030-01-01' as unknown as Date }), 'runAt'],
      ['runAt and delayMs', () => t.jobs.enqueue('noop', {}, { runAt: new Date(), delayMs: 10 }), 'runAt'],
      ['queue "bad queue!"', () => t.jobs.enqueue('noop', {}, { queue: 'bad queue!' }), 'queue'],
      ['queue ""', () => t.jobs.enqueue('noop', {}, { queue: '' }), 'queue'],
      ['type ""', () => t.jobs.enqueue('', {}), 'type'],
      ['type "a b"', () => t.jobs.enqueue('a b', {}), 'type'],
      ['circular payload', () => t.jobs.enqueue('noop', loop), 'payload'],
      ['function payload', () => t.jobs.enqueue('noop', () => 1), 'payload'],
      ['bigint payload', () => t.jobs.enqueue('noop', { n: 1n }), 'payload'],
    ];
    for (const [name, enqueue, field] of cases) {
      await assert.rejects(
        enqueue,
        (err: unknown) => {
          assert.ok(err instanceof InvalidJobOptionsError, `${name}: ${String(err)}`);
          assert.equal(err.field, field, name);
          assert.ok(err.message.includes(field), `${name}: "${err.message}" names ${field}`);
          return true;
        },
        name,
      );
    }
    await assert.rejects(t.jobs.enqueue('no-such-type', {}), UnknownJobTypeError);
    assert.equal(await count(), before, 'nothing was written');
  });

  it('rejects a payload over maxPayloadBytes (UTF-8 bytes of its JSON)', async () => {
    const before = await count();
    // '"' + 998 chars + '"' is exactly 1000 bytes: accepted; one more byte is not.
    const fits = await t.jobs.enqueue('noop', 'x'.repeat(998), { delayMs: 600_000 });
    assert.equal(fits.payload, 'x'.repeat(998));
    await assert.rejects(t.jobs.enqueue('noop', 'x'.repeat(999)), (err: unknown) => {
      assert.ok(err instanceof PayloadTooLargeError, String(err));
      assert.equal(err.size, 1001);
      assert.equal(err.limit, 1000);
      return true;
    });
    // 600 characters, but 1202 bytes of UTF-8.
    await assert.rejects(t.jobs.enqueue('noop', { s: 'é'.repeat(600) }), PayloadTooLargeError);
    await assert.rejects(
      t.jobs.enqueueMany([
        { type: 'noop', payload: {} },
        { type: 'noop', payload: { s: 'y'.repeat(2_000) } },
      ]),
      PayloadTooLargeError,
    );
    assert.equal(await count(), before + 1);
    await t.jobs.cancel(fits.id);
  });

  it('enqueueMany is all or none: one bad item rejects the batch, naming it', async () => {
    const before = await count();
    await assert.rejects(
      t.jobs.enqueueMany([
        { type: 'noop', payload: { i: 0 } },
        { type: 'noop', payload: { i: 1 }, priority: 1.5 },
        { type: 'noop', payload: { i: 2 } },
      ]),
      (err: unknown) => {
        assert.ok(err instanceof InvalidJobOptionsError, String(err));
        assert.equal(err.field, 'items[1].priority');
        assert.match(err.message, /items\[1\]\.priority/);
        return true;
      },
    );
    await assert.rejects(
      t.jobs.enqueueMany([
        { type: 'noop', payload: {} },
        { type: 'noop', payload: {}, queue: 'bad queue!' },
      ]),
      (err: unknown) => err instanceof InvalidJobOptionsError && err.field === 'items[1].queue',
    );
    await assert.rejects(
      t.jobs.enqueueMany('nope' as unknown as EnqueueItem[]),
      (err: unknown) => err instanceof InvalidJobOptionsError && err.field === 'items',
    );
    assert.deepEqual(await t.jobs.enqueueMany([]), []);
    assert.equal(await count(), before, 'nothing was written');
  });

  it('enqueueMany of 500 items inserts them all, in order of ids', async () => {
    const before = await count();
    const runAt = new Date(Date.now() + 600_000);
    const jobs = await t.jobs.enqueueMany(
      Array.from({ length: 500 }, (_, i) => ({ type: 'noop', payload: { i }, runAt, priority: i % 7 })),
    );
    assert.equal(jobs.length, 500);
    jobs.forEach((job, i) => {
      assert.deepEqual(job.payload, { i });
      assert.equal(job.priority, i % 7);
      assert.equal(job.state, 'scheduled');
      if (i > 0) assert.ok(BigInt(job.id) > BigInt(jobs[i - 1].id), `id ${job.id} after ${jobs[i - 1].id}`);
    });
    assert.equal(await count(), before + 500);
    const res = await pool.query<{ id: string; i: number }>(
      `SELECT id, (payload->>'i')::int AS i FROM "${t.schema}".jobs WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [jobs.map((j) => j.id)],
    );
    assert.deepEqual(
      res.rows.map((r) => r.i),
      Array.from({ length: 500 }, (_, i) => i),
    );
    assert.deepEqual(
      res.rows.map((r) => r.id),
      jobs.map((j) => j.id),
    );
  });
});
