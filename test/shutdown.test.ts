import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, beforeEach, describe, it } from 'node:test';
import { JobHandler, type Job, type JobContext, type JobsModuleOptions } from 'nest-pg-jobs';
import { createTestApp, type TestApp } from './support/app';
import { assertionPool, countByState, uniqueSchema } from './support/database';
import { deferred, waitFor } from './support/wait';

/**
 * - `quick`: finishes `ms` (default 100) after the test starts closing the node.
 * - `hold`: on a holding node, runs until its signal aborts, then returns; elsewhere returns at once.
 * - `stubborn`: on a holding node, ignores its signal and runs until the test releases it;
 *   elsewhere returns at once.
 */
type Mode = 'quick' | 'hold' | 'stubborn';
interface Task {
  key: string;
  mode: Mode;
  ms?: number;
}

/** What the handler saw during one test. Each test starts with a fresh one (`beforeEach`), so no
 * test depends on what an earlier one left behind. */
function newRun() {
  return {
    /** Nodes on which `hold` and `stubborn` jobs keep running. */
    holders: new Set<string>(),
    /** Per job key: the nodes that started it, with the attempt number they saw. */
    starts: new Map<string, Array<{ nodeId: string; attempt: number }>>(),
    /** Per job key: the nodes whose handler returned. */
    finished: new Map<string, string[]>(),
    /** Per job key: why its signal was aborted. */
    abortReasons: new Map<string, string>(),
    closing: deferred(),
    release: deferred(),
  };
}
let run = newRun();

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  map.set(key, [...(map.get(key) ?? []), value]);
}

@Injectable()
@JobHandler('task', { maxAttempts: 3 })
class TaskHandler {
  async handle(job: Job<Task>, ctx: JobContext): Promise<void> {
    const { key, mode, ms = 100 } = job.payload;
    const { starts, abortReasons, closing, holders, release, finished } = run;
    push(starts, key, { nodeId: ctx.nodeId, attempt: ctx.attempt });
    ctx.signal.addEventListener('abort', () => abortReasons.set(key, (ctx.signal.reason as Error).message));
    if (mode === 'quick') {
      await closing.promise;
      await delay(ms);
    } else if (holders.has(ctx.nodeId)) {
      if (mode === 'hold') {
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          ctx.signal.addEventListener('abort', () => resolve());
        });
      } else {
        await release.promise;
      }
    }
    push(finished, key, ctx.nodeId);
  }
}

describe('graceful shutdown', () => {
  const pool = assertionPool();
  const apps: TestApp[] = [];
  const schemas = new Set<string>();

  const startNode = async (schema: string, options: JobsModuleOptions = {}, hold = false): Promise<TestApp> => {
    const app = await createTestApp([TaskHandler], { ...options, schema });
    apps.push(app);
    schemas.add(schema);
    if (hold) run.holders.add(app.runner.nodeId);
    return app;
  };
  const enqueue = (t: TestApp, tasks: Task[]) =>
    t.jobs.enqueueMany(tasks.map((payload) => ({ type: 'task', payload })));
  const rows = async (schema: string) =>
    (
      await pool.query<{ key: string; state: string; attempts: number; locked_by: string | null }>(
        `SELECT payload->>'key' AS key, state, attempts, locked_by FROM "${schema}".jobs ORDER BY id`,
      )
    ).rows;
  const byKey = async (schema: string) => new Map((await rows(schema)).map((r) => [r.key, r]));
  const historyCount = async (schema: string) =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".job_attempts`)).rows[0].n;
  const timed = async (work: () => Promise<void>): Promise<number> => {
    const started = Date.now();
    await work();
    return Date.now() - started;
  };

  beforeEach(() => {
    run.closing.resolve();
    run.release.resolve();
    run = newRun();
  });

  after(async () => {
    run.closing.resolve();
    run.release.resolve();
    for (const app of apps) await app.close().catch(() => undefined);
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('finishes quick jobs within the grace period and hands the rest back uncounted', async () => {
    const schema = uniqueSchema();
    const a = await startNode(schema, { concurrency: 6, shutdownGracePeriodMs: 500 }, true);
    const quick = ['q1', 'q2', 'q3'];
    const long = ['h1', 'h2', 'h3'];
    await enqueue(a, [
      ...quick.map((key): Task => ({ key, mode: 'quick' })),
      ...long.map((key): Task => ({ key, mode: 'hold' })),
    ]);
    await waitFor(() => run.starts.size === 6 && a.runner.runningCount() === 6, { message: 'all 6 handlers running' });
    assert.deepEqual(await countByState(pool, schema), { running: 6 });

    run.closing.resolve();
    const closeMs = await timed(() => a.close());
    assert.ok(closeMs >= 450, `close() waited for the grace period (${closeMs} ms)`);

    const read = await byKey(schema);
    for (const key of quick) {
      assert.deepEqual(read.get(key), { key, state: 'completed', attempts: 1, locked_by: null });
      assert.equal(run.abortReasons.has(key), false, `${key} was not aborted`);
    }
    for (const key of long) {
      assert.deepEqual(read.get(key), { key, state: 'pending', attempts: 0, locked_by: null });
      assert.match(run.abortReasons.get(key) ?? '', /handed back/);
    }
    assert.equal((await rows(schema)).filter((r) => r.state === 'running').length, 0);
    assert.equal(await historyCount(schema), 0, 'a hand-back is not a failed attempt');

    const b = await startNode(schema);
    await waitFor(async () => (await countByState(pool, schema)).completed === 6, {
      message: 'the second node to finish the handed-back jobs',
    });
    const final = await byKey(schema);
    for (const key of long) {
      assert.equal(final.get(key)?.attempts, 1);
      assert.deepEqual(
        run.starts.get(key)?.map((s) => s.nodeId),
        [a.runner.nodeId, b.runner.nodeId],
      );
      assert.deepEqual(
        run.starts.get(key)?.map((s) => s.attempt),
        [1, 1],
      );
    }
    assert.equal(await historyCount(schema), 0);
  });

  it('a handed-back job is picked up at once by an idle node, woken by the notification', async (ctx) => {
    const schema = uniqueSchema();
    const a = await startNode(schema, { concurrency: 4, shutdownGracePeriodMs: 100 }, true);
    const keys = ['n1', 'n2', 'n3', 'n4'];
    await enqueue(
      a,
      keys.map((key): Task => ({ key, mode: 'hold' })),
    );
    await waitFor(() => a.runner.runningCount() === 4, { message: 'node A holding 4 jobs' });
    // Node B polls once a minute: only the hand-back's notification can wake it within the test.
    const b = await startNode(schema, { pollIntervalMs: 60_000 });
    assert.deepEqual(await countByState(pool, schema), { running: 4 });

    const started = Date.now();
    await a.close();
    await waitFor(async () => (await countByState(pool, schema)).completed === 4, {
      timeoutMs: 5_000,
      message: 'node B to complete the handed-back jobs',
    });
    const pickUpMs = Date.now() - started;
    ctx.diagnostic(`handed back and completed by the other node ${pickUpMs} ms after close() began`);
    for (const key of keys) {
      assert.deepEqual(run.finished.get(key), [a.runner.nodeId, b.runner.nodeId]);
      assert.equal((await byKey(schema)).get(key)?.attempts, 1);
    }
    assert.ok(pickUpMs < 5_000, `picked up in ${pickUpMs} ms`);
  });

  it('a handler ignoring its abort does not hold close() up, and its late result is refused', async (ctx) => {
    const schema = uniqueSchema();
    const grace = 300;
    const a = await startNode(schema, { concurrency: 2, shutdownGracePeriodMs: grace }, true);
    await enqueue(a, [{ key: 's1', mode: 'stubborn' }]);
    await waitFor(() => run.starts.has('s1'), { message: 'stubborn handler start' });

    const closeMs = await timed(() => a.close());
    ctx.diagnostic(`close() took ${closeMs} ms with a grace period of ${grace} ms`);
    assert.ok(closeMs >= grace - 50 && closeMs < grace + 3_000, `close() took ${closeMs} ms`);
    assert.match(run.abortReasons.get('s1') ?? '', /handed back/);
    assert.deepEqual((await byKey(schema)).get('s1'), { key: 's1', state: 'pending', attempts: 0, locked_by: null });

    // The handler returns after the hand-back: nothing may be recorded for it.
    run.release.resolve();
    await waitFor(() => run.finished.has('s1') && a.runner.runningCount() === 0, {
      message: 'the late handler to end',
    });
    assert.deepEqual((await byKey(schema)).get('s1'), { key: 's1', state: 'pending', attempts: 0, locked_by: null });

    const b = await startNode(schema);
    await waitFor(async () => (await byKey(schema)).get('s1')?.state === 'completed', {
      message: 'another node to complete the job',
    });
    assert.deepEqual((await byKey(schema)).get('s1'), {
      key: 's1',
      state: 'completed',
      attempts: 1,
      locked_by: null,
    });
    assert.deepEqual(run.finished.get('s1'), [a.runner.nodeId, b.runner.nodeId]);
    assert.deepEqual(
      run.starts.get('s1')?.map((s) => s.attempt),
      [1, 1],
    );
    assert.equal(await historyCount(schema), 0);
  });

  it('jobs finishing during the grace period are recorded completed by the time close() returns', async () => {
    const schema = uniqueSchema();
    const a = await startNode(schema, { concurrency: 12, shutdownGracePeriodMs: 3_000 }, true);
    const keys = Array.from({ length: 12 }, (_, i) => `g${i}`);
    await enqueue(
      a,
      keys.map((key, i): Task => ({ key, mode: 'quick', ms: 20 + i * 25 })),
    );
    await waitFor(() => a.runner.runningCount() === 12, { message: '12 handlers running' });

    run.closing.resolve();
    const closeMs = await timed(() => a.close());
    // Read at once: the completions were written before close() returned, none handed back.
    assert.deepEqual(await countByState(pool, schema), { completed: 12 });
    assert.deepEqual(
      (await rows(schema)).filter((r) => r.attempts !== 1 || r.locked_by !== null),
      [],
    );
    assert.equal(await historyCount(schema), 0);
    for (const key of keys) assert.equal(run.abortReasons.has(key), false, `${key} was not aborted`);
    assert.ok(closeMs < 3_000, `close() returned once the jobs were done (${closeMs} ms), not at the grace deadline`);
  });
});
