import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { JobHandler, type EnqueueItem, type Job, type JobContext } from 'nest-pg-jobs';
import { createTestApp, type TestApp } from './support/app';
import { assertionPool, countByState, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

/** In-flight and peak handler counts, per queue. */
const inFlight = new Map<string, number>();
const peak = new Map<string, number>();
/** Handler calls per job id, and the nodes that made them. */
const calls = new Map<string, number>();
const callers = new Map<string, string[]>();

function enter(queue: string): void {
  const n = (inFlight.get(queue) ?? 0) + 1;
  inFlight.set(queue, n);
  peak.set(queue, Math.max(peak.get(queue) ?? 0, n));
}

function leave(queue: string): void {
  inFlight.set(queue, (inFlight.get(queue) ?? 0) - 1);
}

function record(job: Job, ctx: JobContext): void {
  calls.set(job.id, (calls.get(job.id) ?? 0) + 1);
  callers.set(job.id, [...(callers.get(job.id) ?? []), ctx.nodeId]);
}

function resetCounters(): void {
  inFlight.clear();
  peak.clear();
  calls.clear();
  callers.clear();
}

/** ~30 ms of work on the default queue. */
@Injectable()
@JobHandler('work')
class WorkHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(job, ctx);
    enter(job.queue);
    try {
      await delay(30);
    } finally {
      leave(job.queue);
    }
  }
}

/** ~30 ms of work on the `slow` queue. */
@Injectable()
@JobHandler('slow-work', { queue: 'slow' })
class SlowWorkHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(job, ctx);
    enter(job.queue);
    try {
      await delay(30);
    } finally {
      leave(job.queue);
    }
  }
}

@Injectable()
@JobHandler('noop')
class NoopHandler {
  handle(job: Job, ctx: JobContext): void {
    record(job, ctx);
  }
}

/** A few milliseconds of work, so that two nodes both get a share. */
@Injectable()
@JobHandler('brief')
class BriefHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(job, ctx);
    await delay(3);
  }
}

const handlers = [WorkHandler, SlowWorkHandler, NoopHandler, BriefHandler];

async function enqueueChunked(t: TestApp, type: string, total: number, chunk = 1_000): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < total; start += chunk) {
    const items: EnqueueItem[] = [];
    for (let i = start; i < Math.min(total, start + chunk); i++) items.push({ type, payload: { i } });
    const jobs = await t.jobs.enqueueMany(items);
    ids.push(...jobs.map((j) => j.id));
  }
  return ids;
}

describe('concurrency', () => {
  const pool = assertionPool();
  const apps: TestApp[] = [];
  const schemas = new Set<string>();

  const start = async (options: Parameters<typeof createTestApp>[1]): Promise<TestApp> => {
    const app = await createTestApp(handlers, options);
    apps.push(app);
    schemas.add(app.schema);
    return app;
  };
  const completedCount = async (schema: string): Promise<number> =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE state = 'completed'`))
      .rows[0].n;
  const scalar = async (sql: string): Promise<number> => (await pool.query<{ n: number }>(sql)).rows[0].n;

  after(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('never runs more handlers of a queue at once than its concurrency, and reaches it', async () => {
    resetCounters();
    const t = await start({ concurrency: 4, queues: { slow: { concurrency: 2 } } });
    const [work, slow] = await Promise.all([
      t.jobs.enqueueMany(Array.from({ length: 60 }, (_, i) => ({ type: 'work', payload: { i } }))),
      t.jobs.enqueueMany(Array.from({ length: 20 }, (_, i) => ({ type: 'slow-work', payload: { i } }))),
    ]);
    assert.ok(work.every((j) => j.queue === 'default'));
    assert.ok(slow.every((j) => j.queue === 'slow'));
    await waitFor(async () => (await completedCount(t.schema)) === 80, { message: '80 jobs completed' });

    assert.equal(peak.get('default'), 4, 'default queue peaked at its bound of 4');
    assert.equal(peak.get('slow'), 2, 'slow queue peaked at its own bound of 2');
    assert.deepEqual(await countByState(pool, t.schema), { completed: 80 });
    const res = await pool.query<{ queue: string; n: number; attempts: number[] }>(
      `SELECT queue, count(*)::int AS n, array_agg(DISTINCT attempts) AS attempts
       FROM "${t.schema}".jobs GROUP BY queue ORDER BY queue`,
    );
    assert.deepEqual(
      res.rows.map((r) => [r.queue, r.n, r.attempts]),
      [
        ['default', 60, [1]],
        ['slow', 20, [1]],
      ],
    );
    assert.equal(calls.size, 80);
    assert.ok([...calls.values()].every((n) => n === 1));
    assert.equal(t.runner.runningCount(), 0);
  });

  it('claims again as soon as slots free up, without waiting for the poll', async () => {
    resetCounters();
    // Polling is out of the picture: only wake-ups from finishing handlers can keep the node busy.
    const t = await start({ concurrency: 5, pollIntervalMs: 60_000 });
    const ids = await enqueueChunked(t, 'noop', 300);
    await waitFor(async () => (await completedCount(t.schema)) === 300, {
      timeoutMs: 10_000,
      message: '300 jobs completed without polling',
    });
    for (const id of ids) assert.equal(calls.get(id), 1, `job ${id} called once`);
    assert.deepEqual(await countByState(pool, t.schema), { completed: 300 });
  });

  it('runs 10,000 jobs exactly once each on one node', { timeout: 120_000 }, async (ctx) => {
    resetCounters();
    const t = await start({});
    const started = Date.now();
    const ids = await enqueueChunked(t, 'noop', 10_000);
    const enqueuedMs = Date.now() - started;
    assert.equal(new Set(ids).size, 10_000);
    await waitFor(async () => (await completedCount(t.schema)) === 10_000, {
      timeoutMs: 60_000,
      intervalMs: 100,
      message: '10,000 jobs completed',
    });
    const elapsedMs = Date.now() - started;
    ctx.diagnostic(
      `10,000 jobs, one node, concurrency 10 (default): enqueued in ${enqueuedMs} ms, all completed in ${elapsedMs} ms ` +
        `(${Math.round(10_000 / (elapsedMs / 1000))} jobs/s)`,
    );

    assert.equal(calls.size, 10_000);
    for (const id of ids) assert.equal(calls.get(id), 1, `job ${id} called once`);
    assert.deepEqual(await countByState(pool, t.schema), { completed: 10_000 });
    assert.equal(await scalar(`SELECT count(*)::int AS n FROM "${t.schema}".jobs WHERE attempts <> 1`), 0);
    assert.equal(
      await scalar(
        `SELECT count(*)::int AS n FROM "${t.schema}".jobs WHERE locked_by IS NOT NULL OR finished_at IS NULL`,
      ),
      0,
    );
    assert.equal(await scalar(`SELECT count(*)::int AS n FROM "${t.schema}".job_attempts`), 0);
  });

  it('two nodes on one schema share 2,000 jobs, each run exactly once', { timeout: 60_000 }, async () => {
    resetCounters();
    const schema = uniqueSchema();
    const a = await start({ schema, concurrency: 10 });
    const b = await start({ schema, concurrency: 10 });
    assert.notEqual(a.runner.nodeId, b.runner.nodeId);
    const ids = await enqueueChunked(a, 'brief', 2_000);
    await waitFor(async () => (await completedCount(schema)) === 2_000, {
      timeoutMs: 30_000,
      intervalMs: 50,
      message: '2,000 jobs completed',
    });

    assert.equal(calls.size, 2_000);
    for (const id of ids) assert.equal(calls.get(id), 1, `job ${id} called once`);
    const byNode = new Map<string, number>();
    for (const [w] of callers.values()) byNode.set(w, (byNode.get(w) ?? 0) + 1);
    assert.deepEqual([...byNode.keys()].sort(), [a.runner.nodeId, b.runner.nodeId].sort());
    assert.ok(byNode.get(a.runner.nodeId)! > 0 && byNode.get(b.runner.nodeId)! > 0, 'both nodes did work');
    assert.deepEqual(await countByState(pool, schema), { completed: 2_000 });
    assert.equal(await scalar(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE attempts <> 1`), 0);
    assert.equal(await scalar(`SELECT count(*)::int AS n FROM "${schema}".job_attempts`), 0);
  });
});
