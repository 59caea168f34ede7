import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Request } from 'express';
import { JobHandler, type JobsAccess, type QueueSummary, type NodeSummary } from 'nest-pg-jobs';
import { claimStatement, schemaNames } from './support/internals';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, countByState, uniqueSchema } from './support/database';
import { nestedPlans } from './support/plans';
import { listenLocally, restApiImports } from './support/rest';
import { deferred, waitFor } from './support/wait';

const gate = deferred();
const started = new Set<string>();

@Injectable()
@JobHandler('qa.block', { queue: 'qa' })
class BlockingHandler {
  async handle(job: { id: string }): Promise<void> {
    started.add(job.id);
    await gate.promise;
  }
}

function accessOf(req: Request): JobsAccess {
  return req.headers['x-role'] === 'viewer' ? 'read-only' : 'full';
}

describe('queues API: pause, resume, overview, workers', () => {
  const pool = assertionPool();
  const schema = uniqueSchema('queues');
  /** The worker node: polls only every 10 s, so picking up jobs at once proves the wake-ups. */
  let worker: TestApp;
  /** A producer-only node serving the REST API (it has no handlers: jobs name their queue). */
  let api: TestApp;
  let base: string;

  const call = async (method: string, path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: method === 'GET' ? headers : { 'content-type': 'application/json', 'x-requested-with': 't', ...headers },
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the wire
    return { status: res.status, text, body: text ? (JSON.parse(text) as any) : undefined };
  };
  const queues = async (): Promise<QueueSummary[]> => (await call('GET', '/api/queues')).body.items;
  const queue = async (name: string) => (await queues()).find((q) => q.name === name);

  before(async () => {
    worker = await createTestApp([BlockingHandler], { schema, pollIntervalMs: 10_000, concurrency: 2 });
    api = await createTestApp(
      [],
      { schema, workers: false, allowUnknownTypes: true, statsCacheMs: 100 },
      restApiImports({ access: accessOf, actor: (req) => String(req.headers['x-user'] ?? 'anonymous') }),
    );
    base = await listenLocally(api);
  });
  after(async () => {
    gate.resolve();
    await api?.close();
    await disposeTestApp(worker, pool);
    await pool.end();
  });

  it('pause stops claims (running jobs finish, new ones stay pending); resume runs them at once', async () => {
    const first = await Promise.all([1, 2].map(() => api.jobs.enqueue('qa.block', {}, { queue: 'qa' })));
    await waitFor(() => first.every((j) => started.has(j.id)), { message: 'both jobs to start' });

    // The live node and what it runs.
    const workers = (await call('GET', '/api/nodes')).body.items as NodeSummary[];
    const me = workers.find((w) => w.id === worker.runner.nodeId);
    assert.ok(me, JSON.stringify(workers));
    assert.deepEqual(me.queues, { qa: 2 });
    assert.deepEqual(me.jobs.map((j) => j.id).sort(), first.map((j) => j.id).sort());
    assert.ok(me.jobs.every((j) => j.queue === 'qa' && j.type === 'qa.block' && typeof j.startedAt === 'string'));

    const paused = await call('POST', '/api/queues/qa/pause', { 'x-user': 'ada' });
    assert.equal(paused.status, 200, paused.text);
    assert.equal(paused.body.name, 'qa');
    assert.equal(paused.body.paused, true);
    assert.equal(paused.body.pausedBy, 'ada');
    assert.equal(typeof paused.body.pausedAt, 'string');
    // Pausing again keeps who paused it first.
    assert.equal((await call('POST', '/api/queues/qa/pause', { 'x-user': 'bob' })).body.pausedBy, 'ada');

    const later = await Promise.all([1, 2, 3].map(() => api.jobs.enqueue('qa.block', {}, { queue: 'qa' })));
    gate.resolve(); // the running jobs finish normally; their freed slots claim again, and find nothing
    await waitFor(async () => (await countByState(pool, schema)).completed === 2, {
      message: 'running jobs to finish',
    });
    // Several wake-ups (the notifications of the enqueues, the freed slots) come and go: still nothing claimed.
    await sleep(500);
    assert.deepEqual(await countByState(pool, schema), { completed: 2, pending: 3 });
    assert.ok(later.every((j) => !started.has(j.id)));

    const resumedAt = Date.now();
    const resumed = await call('POST', '/api/queues/qa/resume');
    assert.equal(resumed.status, 200, resumed.text);
    assert.equal(resumed.body.paused, false);
    assert.equal(resumed.body.pausedBy, null);
    // The worker polls every 10 s: it runs them at once only because resume notified it.
    await waitFor(async () => (await countByState(pool, schema)).completed === 5, {
      timeoutMs: 3_000,
      message: 'the paused jobs to run after resume',
    });
    assert.ok(Date.now() - resumedAt < 3_000);
  });

  it('a read-only caller gets 403 on pause and resume; writes need the CSRF header', async () => {
    const viewer = { 'x-role': 'viewer' };
    const denied = await call('POST', '/api/queues/qa/pause', viewer);
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.body.action, 'pause');
    assert.equal((await call('POST', '/api/queues/qa/resume', viewer)).status, 403);
    const noCsrf = await fetch(`${base}/api/queues/qa/pause`, { method: 'POST' });
    assert.equal(noCsrf.status, 403);
    assert.equal((await queue('qa'))?.paused, false);
    assert.equal((await call('GET', '/api/queues', viewer)).status, 200);
    const bad = await call('POST', '/api/queues/has%20space/pause');
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.field, 'queue');
  });

  it('GET /api/queues: counts match the database, oldest pending age, concurrency of live nodes', async () => {
    // A paused queue keeps its pending jobs pending.
    await api.jobs.pauseQueue('qc', { actor: 'test' });
    await api.jobs.enqueue('qc.x', {}, { queue: 'qc', runAt: new Date(Date.now() - 60_000) });
    for (let i = 0; i < 3; i++) await api.jobs.enqueue('qc.x', {}, { queue: 'qc' });
    const delayed = await api.jobs.enqueue('qc.x', {}, { queue: 'qc', delayMs: 60_000 });
    await api.jobs.enqueue('qc.x', {}, { queue: 'qc', delayMs: 60_000 });
    await api.jobs.cancel(delayed.id);

    const dbCounts = async () => {
      const res = await pool.query<{ queue: string; state: string; n: number }>(
        `SELECT queue, state, count(*)::int AS n FROM "${schema}".jobs GROUP BY queue, state`,
      );
      const out: Record<string, Record<string, number>> = {};
      for (const r of res.rows) (out[r.queue] ??= {})[r.state] = r.n;
      return out;
    };
    const summaries = await waitFor(
      async () => {
        const list = await queues();
        const db = await dbCounts();
        const same = Object.entries(db).every(([name, counts]) => {
          const q = list.find((x) => x.name === name);
          return q && Object.entries(q.counts).every(([state, n]) => n === (counts[state] ?? 0));
        });
        return same ? list : undefined;
      },
      { message: 'queue counts to match the database' },
    );
    const qc = summaries.find((q) => q.name === 'qc')!;
    assert.deepEqual(qc.counts, { pending: 4, scheduled: 1, running: 0, completed: 0, failed: 0, canceled: 1 });
    assert.equal(qc.paused, true);
    assert.equal(qc.concurrency, 0); // no node runs qc
    assert.ok(Date.now() - Date.parse(qc.countsAt) < 5_000, qc.countsAt);
    assert.ok(qc.oldestPendingAgeMs! >= 59_000 && qc.oldestPendingAgeMs! < 70_000, String(qc.oldestPendingAgeMs));
    const qa = summaries.find((q) => q.name === 'qa')!;
    assert.equal(qa.concurrency, 2);
    assert.equal(qa.counts.completed, 5);
    assert.equal(qa.oldestPendingAgeMs, null);
    assert.equal(qa.failureRate, 0);
    // Throughput is cluster-wide: the worker node adds its per-minute outcomes to the roll-up every
    // 2 s, and this (producer-only) node reads them: 5 completed over the 5-minute window.
    await waitFor(async () => (await queue('qa'))?.completedPerMinute === 1, { message: 'qa throughput 1/min' });
    const series = (await call('GET', '/api/stats/series?minutes=10&queue=qa')).body.points as Array<{
      at: string;
      completed: number;
    }>;
    assert.equal(series.length, 10);
    assert.equal(
      series.reduce((n, p) => n + p.completed, 0),
      5,
    );
    assert.equal((await call('GET', '/api/stats/series?minutes=0')).status, 400);
  });

  it('queue names are checked like enqueue and pause; settings of unused queues leave no row, and can be deleted', async () => {
    const rows = async () =>
      (await pool.query<{ name: string }>(`SELECT name FROM "${schema}".queues ORDER BY name`)).rows.map((r) => r.name);
    const before = await rows();
    const patch = (name: string, body: string) =>
      fetch(`${base}/api/queues/${encodeURIComponent(name)}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'x-requested-with': 't' },
        body,
      });
    for (const name of ['a b', '<script>x</script>', '/', '..x/..', 'q\u202eevil', 'x'.repeat(129)]) {
      const res = await patch(name, '{"concurrency":2}');
      assert.equal(res.status, 400, name);
      assert.equal(((await res.json()) as { field: string }).field, 'queue', name);
    }
    // Pausing and resuming names nothing uses, or setting and clearing their concurrency: no row left.
    for (let i = 0; i < 20; i++) {
      assert.equal((await call('POST', `/api/queues/unused-${i}/pause`)).status, 200);
      const resumed = await call('POST', `/api/queues/unused-${i}/resume`);
      assert.equal(resumed.status, 200, resumed.text);
      assert.equal(resumed.body.paused, false);
    }
    assert.equal((await patch('unused-x', '{"concurrency":3}')).status, 200);
    assert.equal((await patch('unused-x', '{"concurrency":null}')).status, 200);
    assert.deepEqual(await rows(), before, 'no settings row left behind');
    assert.ok(!(await queues()).some((q) => q.name.startsWith('unused-')), 'none listed');

    // DELETE: refused while the queue holds jobs; then it goes, audited with what it held.
    await call('POST', '/api/queues/doomed/pause', { 'x-user': 'ada' });
    const job = await api.jobs.enqueue('qa.block', {}, { queue: 'doomed', delayMs: 3_600_000 });
    const busy = await call('DELETE', '/api/queues/doomed');
    assert.equal(busy.status, 409, busy.text);
    assert.ok((await rows()).includes('doomed'));
    await api.jobs.cancel(job.id);
    const gone = await call('DELETE', '/api/queues/doomed', { 'x-user': 'ada' });
    assert.equal(gone.status, 200, gone.text);
    assert.deepEqual(gone.body, { name: 'doomed', deleted: true });
    assert.ok(!(await rows()).includes('doomed'));
    const audit = await pool.query(
      `SELECT actor, detail FROM "${schema}".audit_log WHERE action = 'queue.delete' AND target = 'doomed'`,
    );
    assert.deepEqual(audit.rows, [{ actor: 'ada', detail: { paused: true, pausedBy: 'ada', concurrency: null } }]);
    assert.deepEqual((await call('DELETE', '/api/queues/doomed')).body, { name: 'doomed', deleted: false });
    assert.equal((await call('DELETE', '/api/queues/doomed', { 'x-role': 'viewer' })).status, 403);
  });

  it('the claim checks the pause once per statement (an InitPlan), not once per row', async (t) => {
    const claim = claimStatement(schemaNames(schema));
    const plans = await nestedPlans(pool, async (client) => {
      await client.query('BEGIN');
      await client.query({ text: claim.text, values: ['qc', ['qc.x'], 10, 'explain', 30_000] });
      await client.query('ROLLBACK');
    });
    if (!plans) return t.skip('auto_explain needs a superuser');
    const plan = plans.find((p) => p.includes('jobs_ready_idx')) ?? plans.join('\n---\n');
    if (process.env.JOBS_TEST_PRINT_PLANS) console.warn(plan);
    assert.match(plan, /InitPlan/, plan);
    assert.match(plan, /One-Time Filter: \(NOT/, plan);
    // The paused queue: the jobs index is not even read.
    assert.match(plan, /Index Scan using jobs_ready_idx[^\n]*\(never executed\)/, plan);
  });
});
