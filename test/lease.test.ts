import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { JobHandler, type Job, type JobContext, type JobsModuleOptions } from 'nest-pg-jobs';
import { JOBS_STORAGE, type JobsStorage } from './support/internals';
import { createTestApp, type TestApp } from './support/app';
import { assertionPool, attemptHistory, uniqueSchema } from './support/database';
import { deferred, waitFor } from './support/wait';

/** Per job id: the nodes that started it, with the attempt they saw. */
const starts = new Map<string, Array<{ nodeId: string; attempt: number }>>();
/** Per job id: when and why its signal was aborted. */
const aborts = new Map<string, { at: number; reason: string }>();
const gates = new Map<string, { promise: Promise<void>; resolve: () => void }>();

function started(job: Job, ctx: JobContext): void {
  starts.set(job.id, [...(starts.get(job.id) ?? []), { nodeId: ctx.nodeId, attempt: ctx.attempt }]);
  ctx.signal.addEventListener('abort', () =>
    aborts.set(job.id, { at: Date.now(), reason: (ctx.signal.reason as Error).message }),
  );
}

@Injectable()
@JobHandler('simple')
class SimpleHandler {
  handle(job: Job, ctx: JobContext): void {
    started(job, ctx);
  }
}

/** Runs 2.5 s: longer than two leases of 1 s. */
@Injectable()
@JobHandler('long')
class LongHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    started(job, ctx);
    await delay(2_500);
  }
}

/** Runs until the test opens its gate, whatever its signal says. */
@Injectable()
@JobHandler('gated')
class GatedHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    const gate = deferred();
    gates.set(job.id, gate);
    started(job, ctx);
    await gate.promise;
  }
}

/** Runs until its signal aborts. */
@Injectable()
@JobHandler('watch')
class WatchHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    started(job, ctx);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve());
    });
  }
}

const handlers = [SimpleHandler, LongHandler, GatedHandler, WatchHandler];

interface CompleteCall {
  items: Array<{ id: string; attempt: number; startedAt: Date }>;
  accepted: Set<string>;
}

/** Records every completion write the node makes and what the database accepted of it. */
function spyOnCompletions(t: TestApp): CompleteCall[] {
  type Complete = (items: CompleteCall['items'], nodeId: string) => Promise<Set<string>>;
  const attempts: { complete: Complete } = t.app.get<JobsStorage>(JOBS_STORAGE).attempts;
  const original = attempts.complete.bind(attempts);
  const calls: CompleteCall[] = [];
  attempts.complete = async (items, nodeId) => {
    const accepted = await original(items, nodeId);
    calls.push({ items, accepted });
    return accepted;
  };
  return calls;
}

describe('leases', () => {
  const pool = assertionPool();
  const apps: TestApp[] = [];
  const schemas = new Set<string>();

  const startNode = async (options: JobsModuleOptions = {}): Promise<TestApp> => {
    const app = await createTestApp(handlers, options);
    apps.push(app);
    schemas.add(app.schema);
    return app;
  };
  const row = async (schema: string, id: string) =>
    (
      await pool.query<{
        state: string;
        attempts: number;
        locked_by: string | null;
        locked_until: Date | null;
        finished_at: Date | null;
        last_error: string | null;
        lease_left_ms: number | null;
      }>(
        `SELECT state, attempts, locked_by, locked_until, finished_at, last_error,
                (extract(epoch FROM locked_until - now()) * 1000)::int AS lease_left_ms
         FROM "${schema}".jobs WHERE id = $1`,
        [id],
      )
    ).rows[0];
  const history = (schema: string, id: string) => attemptHistory(pool, schema, id);
  /** What a node that claimed the jobs and then died leaves behind. */
  const crash = async (schema: string, ids: string[], attempts: number) => {
    const res = await pool.query(
      `UPDATE "${schema}".jobs
       SET state = 'running', locked_by = 'dead-node', locked_until = now() - interval '1 second',
           attempts = $2, started_at = now() - interval '5 seconds', run_at = now() - interval '5 seconds'
       WHERE id = ANY($1::bigint[]) AND state = 'scheduled'`,
      [ids, attempts],
    );
    assert.equal(res.rowCount, ids.length);
  };
  /** Another node (or an operator) takes a running job over: a new attempt, under its own lease. */
  const steal = async (schema: string, id: string) => {
    const res = await pool.query(
      `UPDATE "${schema}".jobs
       SET locked_by = 'other', attempts = attempts + 1, locked_until = now() + interval '1 hour'
       WHERE id = $1 AND state = 'running'`,
      [id],
    );
    assert.equal(res.rowCount, 1);
  };

  // Job ids restart in every schema: start each test with empty records.
  beforeEach(() => {
    for (const gate of gates.values()) gate.resolve();
    gates.clear();
    starts.clear();
    aborts.clear();
  });

  after(async () => {
    for (const gate of gates.values()) gate.resolve();
    for (const app of apps) await app.close().catch(() => undefined);
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  describe('expired leases', () => {
    let live: TestApp;
    before(async () => {
      live = await startNode({ leaseMs: 1_000, pollIntervalMs: 100 });
    });

    it('takes back the jobs of a crashed node and runs them again, recording the lost attempt', async () => {
      // Scheduled an hour ahead so that the live node does not claim them before the "crash".
      const jobs = await live.jobs.enqueueMany(
        [1, 2, 3].map((i) => ({ type: 'simple', payload: { i }, delayMs: 3_600_000 })),
      );
      const ids = jobs.map((j) => j.id);
      await crash(live.schema, ids, 1);

      await waitFor(
        async () => {
          for (const id of ids) if ((await row(live.schema, id)).state !== 'completed') return false;
          return true;
        },
        { message: 'the expired jobs to be taken back and completed' },
      );
      for (const id of ids) {
        const r = await row(live.schema, id);
        assert.equal(r.attempts, 2);
        assert.equal(r.locked_by, null);
        assert.deepEqual(starts.get(id), [{ nodeId: live.runner.nodeId, attempt: 2 }]);
        const h = await history(live.schema, id);
        assert.equal(h.length, 1);
        assert.deepEqual([h[0].attempt, h[0].outcome, h[0].node_id], [1, 'lost', 'dead-node']);
        assert.match(h[0].error, /Lease expired: node dead-node/);
      }
    });

    it('dead-letters a taken-back job whose attempts are used up', async () => {
      const [job] = await live.jobs.enqueueMany([{ type: 'simple', payload: {}, delayMs: 3_600_000, maxAttempts: 2 }]);
      await crash(live.schema, [job.id], 2);

      await waitFor(async () => (await row(live.schema, job.id)).state === 'failed', {
        message: 'the exhausted job to be dead-lettered',
      });
      const r = await row(live.schema, job.id);
      assert.equal(r.attempts, 2);
      assert.equal(r.locked_by, null);
      assert.ok(r.finished_at);
      assert.match(r.last_error ?? '', /Lease expired/);
      assert.deepEqual(
        (await history(live.schema, job.id)).map((h) => [h.attempt, h.outcome, h.node_id]),
        [[2, 'lost', 'dead-node']],
      );
      assert.equal(starts.has(job.id), false, 'never run again');
    });
  });

  it('renews the lease of a long job, so no other node takes it over', async () => {
    const schema = uniqueSchema();
    const options = { schema, leaseMs: 1_000, pollIntervalMs: 100 };
    const a = await startNode(options);
    const b = await startNode(options);
    const job = await a.jobs.enqueue('long', {});
    await waitFor(() => starts.has(job.id), { message: 'the long job to start' });

    const leases: number[] = [];
    await waitFor(
      async () => {
        const r = await row(schema, job.id);
        if (r.state === 'completed') return true;
        assert.equal(r.state, 'running');
        assert.ok(r.lease_left_ms! > 0, `lease still ahead (${r.lease_left_ms} ms left)`);
        if (leases.at(-1) !== r.locked_until!.getTime()) leases.push(r.locked_until!.getTime());
        return false;
      },
      { timeoutMs: 10_000, intervalMs: 100, message: 'the long job to complete' },
    );
    assert.ok(leases.length >= 3, `lease renewed while running (${leases.length} distinct lease ends)`);
    for (let i = 1; i < leases.length; i++) assert.ok(leases[i] > leases[i - 1], 'lease end only moves forward');
    assert.ok(leases.at(-1)! - leases[0] >= 1_000, 'renewed past the first lease');

    const r = await row(schema, job.id);
    assert.equal(r.attempts, 1);
    assert.equal(starts.get(job.id)?.length, 1, 'ran exactly once');
    assert.ok([a.runner.nodeId, b.runner.nodeId].includes(starts.get(job.id)![0].nodeId));
    assert.deepEqual(await history(schema, job.id), []);
  });

  describe('fencing', () => {
    it('refuses the completion of a handler whose job was taken over', async () => {
      // A long lease: no renewal notices the takeover before the handler returns.
      const t = await startNode({ leaseMs: 30_000 });
      const writes = spyOnCompletions(t);
      const job = await t.jobs.enqueue('gated', {});
      await waitFor(() => gates.has(job.id), { message: 'the gated job to start' });

      await steal(t.schema, job.id);
      gates.get(job.id)!.resolve();
      await waitFor(() => writes.some((w) => w.items.some((i) => i.id === job.id)), {
        message: 'the completion to be written',
      });
      const write = writes.find((w) => w.items.some((i) => i.id === job.id))!;
      const item = write.items.find((i) => i.id === job.id)!;
      assert.deepEqual([item.id, item.attempt], [job.id, 1]);
      assert.equal(write.accepted.has(job.id), false, 'the fence refused the completion');
      const r = await row(t.schema, job.id);
      assert.deepEqual([r.state, r.locked_by, r.attempts], ['running', 'other', 2]);
      assert.deepEqual(await history(t.schema, job.id), []);
    });

    it('aborts the signal of a handler whose job was taken over, at the next lease renewal', async () => {
      const t = await startNode({ leaseMs: 1_000 });
      const writes = spyOnCompletions(t);
      const job = await t.jobs.enqueue('watch', {});
      await waitFor(() => starts.has(job.id), { message: 'the watching job to start' });

      const stolenAt = Date.now();
      await steal(t.schema, job.id);
      await waitFor(() => aborts.has(job.id), { timeoutMs: 3_000, message: 'the signal to abort' });
      const abort = aborts.get(job.id)!;
      assert.match(abort.reason, /lease lost/i);
      assert.ok(abort.at - stolenAt < 2_000, `aborted ${abort.at - stolenAt} ms after the takeover`);

      await waitFor(() => t.runner.runningCount() === 0, { message: 'the slot to be freed' });
      const r = await row(t.schema, job.id);
      assert.deepEqual([r.state, r.locked_by, r.attempts], ['running', 'other', 2]);
      assert.deepEqual(await history(t.schema, job.id), [], 'nothing recorded for the lost attempt');
      assert.equal(
        writes.some((w) => w.items.some((i) => i.id === job.id)),
        false,
        'no completion written',
      );
    });
  });
});
