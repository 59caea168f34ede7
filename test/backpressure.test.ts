import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { InvalidJobOptionsError, JobHandler, QueueFullError, type EnqueuedJob } from 'nest-pg-jobs';
// Internal: the estimate is tested on its own below, against a fake count.
import { QueueCapacity } from './support/internals';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, uniqueSchema } from './support/database';
import { listenLocally, postJson, restApiImports } from './support/rest';
import { deferred, waitFor } from './support/wait';

@Injectable()
@JobHandler('bp.noop')
class NoopHandler {
  async handle(): Promise<void> {}
}

/** Holds every `bp.gated` job until the test opens the gate. */
let gate = deferred();
let gatedStarted = 0;

@Injectable()
@JobHandler('bp.gated', { queue: 'gated' })
class GatedHandler {
  async handle(): Promise<void> {
    gatedStarted++;
    await gate.promise;
  }
}

const HANDLERS = [NoopHandler, GatedHandler];
/** Far enough ahead that these jobs stay `scheduled` (and counted) for the whole test. */
const LATER = { delayMs: 600_000 };

function isQueueFull(queue: string, limit: number) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof QueueFullError, String(err));
    assert.equal(err.queue, queue);
    assert.equal(err.limit, limit);
    assert.ok(Number.isInteger(err.retryAfterMs) && err.retryAfterMs > 0, `retryAfterMs ${err.retryAfterMs}`);
    return true;
  };
}

describe('backpressure (maxPendingJobs)', () => {
  const pool = assertionPool();
  let t: TestApp;

  const countIn = async (queue: string, schema = t.schema): Promise<number> =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE queue = $1`, [queue]))
      .rows[0].n;
  const fill = async (queue: string, n: number): Promise<EnqueuedJob[]> => {
    const jobs: EnqueuedJob[] = [];
    for (let i = 0; i < n; i++) jobs.push(await t.jobs.enqueue('bp.noop', { i }, { queue, ...LATER }));
    return jobs;
  };

  before(async () => {
    t = await createTestApp(HANDLERS, {
      maxPendingJobs: 5,
      queues: { small: { maxPendingJobs: 2 }, gated: { concurrency: 1, maxPendingJobs: 2 } },
    });
  });
  after(async () => {
    gate.resolve();
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('past the cap of 5, enqueue throws QueueFullError and writes nothing; room comes back', async () => {
    const jobs = await fill('capped', 4);
    const fifth = await t.jobs.enqueue('bp.noop', {}, { queue: 'capped', idempotencyKey: 'fifth', ...LATER });
    await assert.rejects(t.jobs.enqueue('bp.noop', {}, { queue: 'capped', ...LATER }), isQueueFull('capped', 5));
    await assert.rejects(
      t.jobs.enqueueMany([{ type: 'bp.noop', payload: {}, queue: 'capped' }]),
      isQueueFull('capped', 5),
    );
    assert.equal(await countIn('capped'), 5, 'the refused enqueues wrote nothing');

    // Retrying an enqueue that went through is answered with its job, full queue or not.
    const retried = await t.jobs.enqueue('bp.noop', {}, { queue: 'capped', idempotencyKey: 'fifth' });
    assert.equal(retried.created, false);
    assert.equal(retried.id, fifth.id);

    // A job leaving the queue makes room: the full estimate is counted again before refusing.
    await t.jobs.cancel(jobs[0].id);
    const sixth = await t.jobs.enqueue('bp.noop', {}, { queue: 'capped', ...LATER });
    assert.equal(sixth.created, true);
    await assert.rejects(t.jobs.enqueue('bp.noop', {}, { queue: 'capped', ...LATER }), isQueueFull('capped', 5));
    assert.equal(await countIn('capped'), 6, '5 pending and the canceled one');
  });

  it('enqueueMany counts the whole batch; a batch larger than the cap is refused as invalid', async () => {
    const three = await t.jobs.enqueueMany(
      [1, 2, 3].map((i) => ({ type: 'bp.noop', payload: { i }, queue: 'batch', ...LATER })),
    );
    assert.equal(three.length, 3);
    await assert.rejects(
      t.jobs.enqueueMany([1, 2, 3].map((i) => ({ type: 'bp.noop', payload: { i }, queue: 'batch', ...LATER }))),
      isQueueFull('batch', 5),
    );
    const two = await t.jobs.enqueueMany(
      [4, 5].map((i) => ({ type: 'bp.noop', payload: { i }, queue: 'batch', ...LATER })),
    );
    assert.equal(two.length, 2);
    await assert.rejects(
      t.jobs.enqueueMany(Array.from({ length: 6 }, (_, i) => ({ type: 'bp.noop', payload: { i }, queue: 'huge' }))),
      (err: unknown) => err instanceof InvalidJobOptionsError && err.field === 'items',
    );
    assert.equal(await countIn('batch'), 5);
    assert.equal(await countIn('huge'), 0);
  });

  it('each queue has its own cap, independent of the others', async () => {
    await fill('small', 2);
    await assert.rejects(t.jobs.enqueue('bp.noop', {}, { queue: 'small', ...LATER }), isQueueFull('small', 2));
    // The full `small` queue does not hold back another queue ...
    await fill('roomy', 5);
    await assert.rejects(t.jobs.enqueue('bp.noop', {}, { queue: 'roomy', ...LATER }), isQueueFull('roomy', 5));
    // ... and a batch touching a full queue is refused whole.
    await assert.rejects(
      t.jobs.enqueueMany([
        { type: 'bp.noop', payload: {}, queue: 'elsewhere', ...LATER },
        { type: 'bp.noop', payload: {}, queue: 'small', ...LATER },
      ]),
      isQueueFull('small', 2),
    );
    assert.equal(await countIn('small'), 2);
    assert.equal(await countIn('roomy'), 5);
    assert.equal(await countIn('elsewhere'), 0);
  });

  it('with wait: true, enqueue waits for room and resolves once a worker drains the queue', async () => {
    gate = deferred();
    gatedStarted = 0;
    const running = await t.jobs.enqueue('bp.gated', {});
    await waitFor(() => gatedStarted === 1, { message: 'the first job to hold the only slot' });
    const queued = [await t.jobs.enqueue('bp.gated', {}), await t.jobs.enqueue('bp.gated', {})];
    await assert.rejects(t.jobs.enqueue('bp.gated', {}), isQueueFull('gated', 2));

    let settled = false;
    const waiting = t.jobs.enqueue('bp.gated', { waited: true }, { wait: true }).finally(() => (settled = true));
    // A negative check needs time to pass: it had several re-checks to get in.
    await sleep(600);
    assert.equal(settled, false, 'still waiting while the queue is full');
    assert.equal(await countIn('gated'), 3, 'nothing written while waiting');

    gate.resolve();
    const job = await waiting;
    assert.equal(job.created, true);
    assert.deepEqual(job.payload, { waited: true });
    for (const id of [running.id, ...queued.map((j) => j.id), job.id]) {
      await waitFor(
        async () =>
          (await pool.query<{ state: string }>(`SELECT state FROM "${t.schema}".jobs WHERE id = $1`, [id])).rows[0]
            .state === 'completed',
        { message: `job ${id} to complete` },
      );
    }
  });

  it('with wait: true, an AbortSignal gives up promptly and nothing is written', async () => {
    await fill('abortable', 5);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const since = Date.now();
    await assert.rejects(
      t.jobs.enqueue('bp.noop', {}, { queue: 'abortable', wait: true, signal: controller.signal }),
      (err: unknown) => (err as Error).name === 'AbortError',
    );
    const waited = Date.now() - since;
    assert.ok(waited >= 190 && waited < 200 + 150, `gave up after ${waited} ms`);

    const reason = new Error('caller gave up');
    const custom = new AbortController();
    setTimeout(() => custom.abort(reason), 100);
    await assert.rejects(
      t.jobs.enqueueMany([{ type: 'bp.noop', payload: {}, queue: 'abortable' }], {
        wait: true,
        signal: custom.signal,
      }),
      (err: unknown) => err === reason,
    );
    // An already aborted signal is refused before anything else, full queue or not.
    await assert.rejects(
      t.jobs.enqueue('bp.noop', {}, { queue: 'empty', signal: AbortSignal.abort() }),
      (err: unknown) => (err as Error).name === 'AbortError',
    );
    assert.equal(await countIn('abortable'), 5);
    assert.equal(await countIn('empty'), 0);
    await assert.rejects(
      t.jobs.enqueue('bp.noop', {}, { wait: 'yes' as unknown as boolean }),
      (err: unknown) => err instanceof InvalidJobOptionsError && err.field === 'wait',
    );
    await assert.rejects(
      t.jobs.enqueue('bp.noop', {}, { signal: {} as AbortSignal }),
      (err: unknown) => err instanceof InvalidJobOptionsError && err.field === 'signal',
    );
  });

  it('REST answers 429 with Retry-After and a JSON body, and writes nothing', async () => {
    const r = await createTestApp(HANDLERS, { schema: uniqueSchema('rest'), maxPendingJobs: 2 }, restApiImports());
    try {
      const url = `${await listenLocally(r)}/api/jobs`;
      const body = { type: 'bp.noop', payload: {}, queue: 'api', delayMs: 600_000 };
      for (let i = 0; i < 2; i++) assert.equal((await postJson(url, body)).status, 201);
      const full = await postJson(url, body);
      assert.equal(full.status, 429, full.text);
      const retryAfter = full.headers.get('retry-after');
      assert.match(retryAfter ?? '', /^[1-9][0-9]*$/, `Retry-After: ${retryAfter}`);
      assert.equal(full.body.statusCode, 429);
      assert.equal(full.body.error, 'QueueFullError');
      assert.equal(full.body.queue, 'api');
      assert.equal(full.body.limit, 2);
      assert.ok(full.body.retryAfterMs > 0);
      assert.ok(Number(retryAfter) >= full.body.retryAfterMs / 1000);
      assert.equal(await countIn('api', r.schema), 2);
    } finally {
      await disposeTestApp(r, pool);
    }
  });
});

describe('QueueCapacity: the estimate behind maxPendingJobs', () => {
  /** A fake queue table: `rows` jobs; every count is recorded. A count is refreshed after
   * `refreshMs` (the default 500 ms unless a test needs its burst to fit for sure). */
  function fakeQueue(limit: number, refreshMs?: number) {
    const db = { rows: 0, counts: 0 };
    const capacity = new QueueCapacity(
      () => limit,
      async (_queue, atMost) => {
        db.counts++;
        return Math.min(db.rows, atMost);
      },
      refreshMs,
    );
    return { db, capacity };
  }
  const one = new Map([['q', 1]]);

  it('counts once for a burst of enqueues, tracks its own writes, and counts again once before refusing', async () => {
    // A refresh interval no burst of a test outlasts, however slow the machine: the count is the
    // estimate's alone to make.
    const { db, capacity } = fakeQueue(50, 60_000);
    for (let i = 0; i < 50; i++) {
      await capacity.acquire(one);
      db.rows++; // the write
      capacity.settle(one, one);
    }
    assert.equal(db.counts, 1, 'one count for a burst of 50 enqueues: the estimate tracks its own writes');
    const before = db.counts;
    await assert.rejects(capacity.acquire(one), QueueFullError);
    assert.equal(db.counts, before + 1, 'a full estimate is counted again once before refusing');
    db.rows -= 3; // a worker took three
    await capacity.acquire(one);
    assert.equal(db.counts, before + 2);
  });

  it('concurrent callers cannot take the same room, even before their writes land', async () => {
    const { db, capacity } = fakeQueue(5);
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => capacity.acquire(one)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      assert.ok((r as PromiseRejectedResult).reason instanceof QueueFullError);
    }
    assert.ok(db.counts <= 2, `${db.counts} counts`);
    // A write that failed gives its room back.
    capacity.settle(one, new Map());
    await capacity.acquire(one);
  });

  it('waiters share their re-counts, and one gets the room that frees up', async () => {
    const { db, capacity } = fakeQueue(1);
    db.rows = 1;
    const controller = new AbortController();
    let admitted = 0;
    const waiters = Array.from({ length: 20 }, () =>
      capacity.acquire(one, { wait: true, signal: controller.signal }).then(() => admitted++),
    );
    await sleep(500);
    assert.equal(admitted, 0);
    const countsWhileFull = db.counts;
    assert.ok(countsWhileFull <= 10, `${countsWhileFull} counts in 500 ms for 20 waiters`);
    db.rows = 0;
    await waitFor(() => admitted === 1, { message: 'a waiter to get in' });
    await sleep(300);
    controller.abort();
    const settled = await Promise.allSettled(waiters);
    assert.equal(admitted, 1, 'only one fits');
    assert.equal(settled.filter((r) => r.status === 'rejected').length, 19);
  });
});
