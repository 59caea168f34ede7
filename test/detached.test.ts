import { Injectable, Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { JobHandler, type Job, type JobContext } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { deferred, waitFor } from './support/wait';

/** When each attempt started, by `name#attempt`; when each attempt returned. */
const startedAt = new Map<string, number>();
const returnedAt = new Map<string, number>();
const gates = new Map<string, { promise: Promise<void>; resolve: () => void }>();

function gate(name: string): { promise: Promise<void>; resolve: () => void } {
  let g = gates.get(name);
  if (!g) gates.set(name, (g = deferred()));
  return g;
}

/** Warnings logged by the library while this file runs. */
const warnings: string[] = [];
const originalWarn = Logger.prototype.warn;
Logger.prototype.warn = function (this: Logger, message: unknown, ...rest: unknown[]) {
  warnings.push(String(message));
  return originalWarn.call(this, message, ...rest);
};

const HANDLER = { queue: 'q', timeoutMs: 200, maxAttempts: 3, backoff: { baseDelayMs: 1, maxDelayMs: 1 } };

/** Attempt 1 ignores its signal: it sleeps `hangMs`, or waits for the test to open its gate.
 * Later attempts return at once. */
@Injectable()
@JobHandler('hang', HANDLER)
class HangHandler {
  async handle(job: Job<{ name: string; hangMs?: number }>, ctx: JobContext): Promise<void> {
    const key = `${job.payload.name}#${ctx.attempt}`;
    startedAt.set(key, Date.now());
    if (ctx.attempt === 1) {
      if (job.payload.hangMs !== undefined) await sleep(job.payload.hangMs);
      else await gate(job.payload.name).promise;
    }
    returnedAt.set(key, Date.now());
  }
}

@Injectable()
@JobHandler('quick', HANDLER)
class QuickHandler {
  async handle(job: Job<{ name: string }>, ctx: JobContext): Promise<void> {
    startedAt.set(`${job.payload.name}#${ctx.attempt}`, Date.now());
  }
}

interface Row {
  id: string;
  state: string;
  attempts: number;
  updated_at: Date;
}

describe('detached handlers', () => {
  const pool = assertionPool();
  let kept: TestApp; // maxDetachedHandlers 0 (the default)
  let detaching: TestApp; // maxDetachedHandlers 2
  const DETACH_AFTER_MS = 100;

  const row = async (t: TestApp, id: string): Promise<Row> =>
    (await pool.query<Row>(`SELECT id, state, attempts, updated_at FROM "${t.schema}".jobs WHERE id = $1`, [id]))
      .rows[0];
  const history = async (t: TestApp, id: string): Promise<Array<[number, string]>> =>
    (
      await pool.query<{ attempt: number; outcome: string }>(
        `SELECT attempt, outcome FROM "${t.schema}".job_attempts WHERE job_id = $1 ORDER BY id`,
        [id],
      )
    ).rows.map((r) => [r.attempt, r.outcome]);
  const completed = (t: TestApp, id: string): Promise<Row> =>
    waitFor(
      async () => {
        const r = await row(t, id);
        return r.state === 'completed' ? r : undefined;
      },
      { message: `job ${id} to complete` },
    );
  /** Every write before it has been made once a later job completed. */
  const roundTrip = async (t: TestApp, name: string): Promise<void> => {
    const job = await t.jobs.enqueue('quick', { name });
    await completed(t, job.id);
  };

  before(async () => {
    kept = await createTestApp([HangHandler, QuickHandler], { queues: { q: { concurrency: 1 } } });
    detaching = await createTestApp([HangHandler, QuickHandler], {
      queues: { q: { concurrency: 1 } },
      maxDetachedHandlers: 2,
      detachAfterMs: DETACH_AFTER_MS,
    });
  });
  after(async () => {
    Logger.prototype.warn = originalWarn;
    for (const g of gates.values()) g.resolve();
    await disposeTestApp(kept, pool);
    await disposeTestApp(detaching, pool);
    await pool.end();
  });

  it('maxDetachedHandlers 0: a hung handler keeps its slot; the next job waits until it returns', async () => {
    const hung = await kept.jobs.enqueue('hang', { name: 'k-hang', hangMs: 1_500 });
    await waitFor(() => startedAt.has('k-hang#1'), { message: 'the hanging handler to start' });
    const next = await kept.jobs.enqueue('quick', { name: 'k-next' });
    await waitFor(async () => (await history(kept, hung.id)).length > 0, { message: 'the timeout to be recorded' });
    assert.equal(startedAt.has('k-next#1'), false, 'the next job does not start while the handler hangs');
    await completed(kept, next.id);
    assert.ok(
      startedAt.get('k-next#1')! >= returnedAt.get('k-hang#1')!,
      `next job started ${startedAt.get('k-next#1')! - returnedAt.get('k-hang#1')!} ms after the hang ended`,
    );
    const done = await completed(kept, hung.id);
    assert.equal(done.attempts, 2);
    assert.deepEqual(await history(kept, hung.id), [[1, 'timed_out']]);
    assert.deepEqual(kept.runner.stats(), { running: 0, detached: 0, detachedTotal: 0 });
    assert.deepEqual(
      warnings.filter((w) => w.includes('detach')),
      [],
    );
  });

  it('maxDetachedHandlers 2: the next job starts soon after the timeout, beside the hung handler', async () => {
    const hung = await detaching.jobs.enqueue('hang', { name: 'd-hang', hangMs: 1_500 });
    await waitFor(() => startedAt.has('d-hang#1'), { message: 'the hanging handler to start' });
    const next = await detaching.jobs.enqueue('quick', { name: 'd-next' });
    await completed(detaching, next.id);
    const waited = startedAt.get('d-next#1')! - startedAt.get('d-hang#1')!;
    assert.ok(waited >= 200 + DETACH_AFTER_MS - 5, `next job started ${waited} ms after the hung one`);
    assert.ok(waited < 1_000, `next job started ${waited} ms after the hung one`);
    assert.equal(returnedAt.has('d-hang#1'), false, 'the hung handler is still running');
    // Its retry ran too, while attempt 1 still hangs.
    const done = await completed(detaching, hung.id);
    assert.equal(done.attempts, 2);
    assert.equal(returnedAt.has('d-hang#1'), false);
    assert.deepEqual(detaching.runner.stats(), { running: 0, detached: 1, detachedTotal: 1 });
    assert.ok(
      warnings.some((w) => w.includes(`Job ${hung.id} `) && w.includes('handler detached to free its slot')),
      warnings.join('\n'),
    );
    // Its late return is ignored: the job stays as it was, and the budget place is given back.
    await waitFor(() => returnedAt.has('d-hang#1'), { message: 'the hung handler to return' });
    await waitFor(() => detaching.runner.stats().detached === 0, { message: 'the detached count to fall' });
    await roundTrip(detaching, 'd-after');
    const later = await row(detaching, hung.id);
    assert.equal(later.state, 'completed');
    assert.equal(later.attempts, 2);
    assert.equal(+later.updated_at, +done.updated_at, 'the late return wrote nothing');
    assert.deepEqual(await history(detaching, hung.id), [[1, 'timed_out']]);
    assert.deepEqual(detaching.runner.stats(), { running: 0, detached: 0, detachedTotal: 1 });
  });

  it('past the budget a hung handler keeps its slot, until a detached one returns', async () => {
    let maxDetached = 0;
    const sampler = setInterval(() => {
      maxDetached = Math.max(maxDetached, detaching.runner.stats().detached);
    }, 5);
    try {
      const before = detaching.runner.stats().detachedTotal;
      const names = ['g1', 'g2', 'g3'];
      const hung = await detaching.jobs.enqueueMany(names.map((name) => ({ type: 'hang', payload: { name } })));
      // g1 and g2 are detached in turn; g3 finds the budget full and keeps the only slot.
      await waitFor(() => startedAt.has('g3#1'), { message: 'the third hung handler to start' });
      await waitFor(async () => (await history(detaching, hung[2].id)).length > 0, { message: 'g3 to time out' });
      // g3's detach attempt comes DETACH_AFTER_MS after its timeout and finds the budget full.
      await waitFor(
        () => warnings.some((w) => w.includes(`Job ${hung[2].id} `) && w.includes('detach budget is exhausted (2/2')),
        { message: 'g3 to find the detach budget full' },
      );
      assert.deepEqual(detaching.runner.stats(), { running: 1, detached: 2, detachedTotal: before + 2 });
      const fourth = await detaching.jobs.enqueue('quick', { name: 'g4' });
      await sleep(500);
      assert.equal(startedAt.has('g4#1'), false, 'the fourth job waits: the slot is taken');
      assert.equal((await row(detaching, fourth.id)).state, 'pending');
      for (const name of names) assert.equal(startedAt.has(`${name}#2`), false, `the retry of ${name} waits too`);
      assert.deepEqual(detaching.runner.stats(), { running: 1, detached: 2, detachedTotal: before + 2 });

      // One detached handler returns: its place goes to g3, whose slot frees up for the others.
      const releasedAt = Date.now();
      gates.get('g1')!.resolve();
      await completed(detaching, fourth.id);
      assert.ok(startedAt.get('g4#1')! >= releasedAt, 'the fourth job started only after a hung handler returned');
      assert.deepEqual(detaching.runner.stats().detached, 2, 'g2 and g3 are detached now');
      assert.equal(detaching.runner.stats().detachedTotal, before + 3);
      const done = new Map<string, Row>();
      for (const job of hung) done.set(job.id, await completed(detaching, job.id));
      assert.equal(returnedAt.has('g2#1') || returnedAt.has('g3#1'), false, 'the retries ran beside them');
      gates.get('g2')!.resolve();
      gates.get('g3')!.resolve();
      await waitFor(() => detaching.runner.stats().detached === 0, { message: 'the detached handlers to return' });
      await roundTrip(detaching, 'g-after');

      // Every hung job: one timed-out attempt, then a retry that completed; the late returns of the
      // detached handlers wrote nothing.
      for (const job of hung) {
        const r = await row(detaching, job.id);
        assert.equal(r.state, 'completed');
        assert.equal(r.attempts, 2);
        assert.equal(+r.updated_at, +done.get(job.id)!.updated_at, 'no write after the retry completed');
        assert.deepEqual(await history(detaching, job.id), [[1, 'timed_out']]);
      }
      const counts = await pool.query<{ state: string; n: number }>(
        `SELECT state, count(*)::int AS n FROM "${detaching.schema}".jobs GROUP BY state`,
      );
      assert.deepEqual(
        counts.rows.map((r) => [r.state, r.n]),
        [['completed', 8]],
        'd-hang, d-next, d-after, g1-g3, g4, g-after',
      );
      assert.equal(maxDetached, 2, 'never more detached handlers than the budget');
      assert.deepEqual(detaching.runner.stats(), { running: 0, detached: 0, detachedTotal: before + 3 });
    } finally {
      clearInterval(sampler);
    }
  });
});
