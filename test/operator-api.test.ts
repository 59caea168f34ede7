import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Request } from 'express';
import { JobHandler, type JobsAccess, type QueueSummary } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, uniqueSchema } from './support/database';
import { listenLocally, restApiImports } from './support/rest';
import { deferred, waitFor } from './support/wait';

/** Handlers of queue `op` block until the gate they started under opens; `active` counts the
 * handlers running now (on both nodes), `started` those started under the gate. */
const newGate = () => ({ ...deferred(), started: 0 });
let gate = newGate();
let active = 0;

@Injectable()
@JobHandler('op.block', { queue: 'op' })
class BlockingHandler {
  async handle(): Promise<void> {
    const mine = gate;
    mine.started += 1;
    active += 1;
    try {
      await mine.promise;
    } finally {
      active -= 1;
    }
  }
}

@Injectable()
@JobHandler('op.quick', { queue: 'quick' })
class QuickHandler {
  async handle(): Promise<void> {}
}

const accessOf = (req: Request): JobsAccess => (req.headers['x-role'] === 'viewer' ? 'read-only' : 'full');

/** Operator actions (issue 13) on two live worker nodes and an API node: run now, delete, clean,
 * the queue's concurrency changed at run time, the "no workers" warning, the audit log. */
describe('operator API: actions', () => {
  const pool = assertionPool();
  const schema = uniqueSchema('operators');
  const workers: TestApp[] = [];
  let api: TestApp;
  let base: string;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers:
        method === 'GET'
          ? headers
          : { 'content-type': 'application/json', 'x-requested-with': 't', 'x-user': 'olga', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the wire
    return { status: res.status, text, body: text ? (JSON.parse(text) as any) : undefined };
  };
  const queue = async (name: string): Promise<QueueSummary | undefined> =>
    ((await call('GET', '/api/queues')).body.items as QueueSummary[]).find((q) => q.name === name);
  const count = async (where: string): Promise<number> =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE ${where}`)).rows[0].n;

  before(async () => {
    for (let i = 0; i < 2; i++) {
      workers.push(
        await createTestApp([BlockingHandler, QuickHandler], { schema, pollIntervalMs: 100, concurrency: 3 }),
      );
    }
    api = await createTestApp(
      [],
      { schema, workers: false, allowUnknownTypes: true, statsCacheMs: 50 },
      restApiImports({ access: accessOf, actor: (req) => String(req.headers['x-user'] ?? 'api') }),
    );
    base = await listenLocally(api);
  });

  after(async () => {
    gate.resolve();
    for (const w of workers) await w.close().catch(() => undefined);
    await disposeTestApp(api, pool);
    await pool.end();
  });

  it('queue summaries count live nodes and per-node concurrency; a queue nobody serves is flagged and its POST warns', async () => {
    const op = await waitFor(async () => {
      const q = await queue('op');
      return q && q.nodes === 2 ? q : undefined;
    });
    assert.equal(op.concurrency, 6, 'two nodes of 3');
    assert.deepEqual(Object.values(op.concurrencyPerNode), [3, 3]);
    assert.equal(op.noWorkers, false);
    assert.equal(op.concurrencySetting, null);
    assert.equal(op.countsEstimated, false, 'a small table is counted');
    const posted = await call('POST', '/api/jobs', { type: 'nobody.runs', payload: {}, queue: 'orphan' });
    assert.equal(posted.status, 201, posted.text);
    assert.match(posted.body.warning, /No live node serves queue "orphan"/);
    const served = await call('POST', '/api/jobs', { type: 'op.quick', payload: {}, queue: 'quick' });
    assert.equal(served.status, 201);
    assert.equal('warning' in served.body, false);
    const orphan = await waitFor(() => queue('orphan'));
    assert.deepEqual([orphan.noWorkers, orphan.nodes, orphan.concurrency], [true, 0, 0]);
    assert.equal(typeof orphan.completedLast5Minutes, 'number');
  });

  it('PATCH /api/queues/:name { concurrency } is followed by every node: raise, lower, back to configured', async () => {
    await call('POST', '/api/jobs/cancel', { filter: { queue: 'op' } });
    for (let i = 0; i < 60; i++)
      assert.equal((await call('POST', '/api/jobs', { type: 'op.block', payload: { i }, queue: 'op' })).status, 201);
    await waitFor(() => active === 6, { message: '6 handlers running (2 nodes x 3)' });

    const raised = await call('PATCH', '/api/queues/op', { concurrency: 5 });
    assert.equal(raised.status, 200, raised.text);
    assert.equal(raised.body.concurrencySetting, 5);
    assert.equal(raised.body.concurrency, 10);
    await waitFor(() => active === 10, { message: '10 handlers running (2 nodes x 5)' });

    assert.equal((await call('PATCH', '/api/queues/op', { concurrency: 1 })).status, 200);
    // Each node applies it within a poll interval: its slots are then 1 (op) + 3 (quick).
    await waitFor(() => workers.every((w) => w.runner.capacity() === 4), { message: 'both nodes at 1 per node' });
    const opened = gate;
    gate = newGate();
    opened.resolve(); // the 10 running finish; the nodes may start only 1 each now
    await waitFor(() => gate.started === 2 && active === 2, { message: '2 handlers running (2 nodes x 1)' });
    // A negative claim needs a window: over 5 poll intervals with a backlog, no node starts a second job.
    for (let i = 0; i < 10; i++) {
      assert.ok(active <= 2 && gate.started === 2, `never more than 1 per node (active ${active})`);
      await sleep(50);
    }

    assert.equal((await call('PATCH', '/api/queues/op', { concurrency: null })).status, 200);
    await waitFor(() => workers.every((w) => w.runner.capacity() === 6), { message: 'both nodes back to 3' });
    const again = gate;
    gate = newGate();
    again.resolve();
    await waitFor(() => gate.started === 6 && active === 6, { message: 'back to 3 per node' });
    assert.equal((await queue('op'))?.concurrencySetting, null);

    const audit = await call('GET', '/api/audit?limit=10');
    const changes = (audit.body.items as Array<{ action: string; actor: string; target: string; detail: unknown }>)
      .filter((a) => a.action === 'queue.concurrency')
      .map((a) => [a.actor, a.target, a.detail]);
    assert.deepEqual(changes, [
      ['olga', 'op', { concurrency: null }],
      ['olga', 'op', { concurrency: 1 }],
      ['olga', 'op', { concurrency: 5 }],
    ]);
  });

  it('PATCH /api/queues/:name refuses bad input with 400 and field, and needs the pause right', async () => {
    assert.equal((await call('PATCH', '/api/queues/op', { concurrency: null })).status, 200);
    const cases: Array<[unknown, string]> = [
      [{ concurrency: -1 }, 'concurrency'],
      [{ concurrency: 1001 }, 'concurrency'],
      [{ concurrency: 2.5 }, 'concurrency'],
      [{ concurrency: '3' }, 'concurrency'],
      [{}, 'concurrency'],
      [{ concurrency: 1, paused: true }, 'paused'],
    ];
    for (const [body, field] of cases) {
      const res = await call('PATCH', '/api/queues/op', body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.body.field, field);
    }
    const denied = await call('PATCH', '/api/queues/op', { concurrency: 1 }, { 'x-role': 'viewer' });
    assert.deepEqual([denied.status, denied.body.action], [403, 'pause']);
    assert.equal((await queue('op'))?.concurrencySetting, null, 'nothing was written');
  });

  it('run-now promotes a delayed job, which runs; 409 for a job that is not scheduled', async () => {
    const job = (await call('POST', '/api/jobs', { type: 'op.quick', payload: {}, queue: 'quick', delayMs: 3_600_000 }))
      .body;
    assert.equal(job.state, 'scheduled');
    const res = await call('POST', `/api/jobs/${job.id}/run-now`, {});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.state, 'pending');
    await waitFor(async () => (await count(`id = ${job.id} AND state = 'completed'`)) === 1, {
      message: 'to complete',
    });
    const events = await pool.query(`SELECT kind, actor, detail FROM "${schema}".job_events WHERE job_id = $1`, [
      job.id,
    ]);
    assert.deepEqual(
      events.rows.map((e) => [e.kind, e.actor]),
      [['run_now', 'olga']],
    );
    assert.equal(new Date(events.rows[0].detail.previousRunAt).getTime(), new Date(job.runAt).getTime());
    const again = await call('POST', `/api/jobs/${job.id}/run-now`, {});
    assert.deepEqual([again.status, again.body.field], [409, 'state']);
    assert.equal((await call('POST', '/api/jobs/99999999/run-now', {})).status, 404);
    assert.equal((await call('POST', '/api/jobs/abc/run-now', {})).status, 404);
    assert.equal((await call('POST', `/api/jobs/${job.id}/run-now`, {}, { 'x-role': 'viewer' })).status, 403);
  });

  it('DELETE /api/jobs/:id deletes a finished job with its history, 409 for an unfinished one', async () => {
    const job = (await call('POST', '/api/jobs', { type: 'op.quick', payload: {}, queue: 'quick' })).body;
    await waitFor(async () => (await count(`id = ${job.id} AND state = 'completed'`)) === 1);
    const delayed = (
      await call('POST', '/api/jobs', { type: 'op.quick', payload: {}, queue: 'quick', delayMs: 3_600_000 })
    ).body;
    assert.equal((await call('DELETE', `/api/jobs/${job.id}`, undefined, { 'x-role': 'viewer' })).status, 403);
    const res = await call('DELETE', `/api/jobs/${job.id}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { id: job.id, deleted: true });
    assert.equal(await count(`id = ${job.id}`), 0);
    assert.equal((await call('DELETE', `/api/jobs/${job.id}`)).status, 404);
    const refused = await call('DELETE', `/api/jobs/${delayed.id}`);
    assert.deepEqual([refused.status, refused.body.field], [409, 'state']);
    assert.equal(await count(`id = ${delayed.id}`), 1);
    const audit = (await call('GET', '/api/audit?limit=5')).body.items.find(
      (a: { target: string }) => a.target === job.id,
    );
    assert.deepEqual(
      [audit.action, audit.actor, audit.detail.state, audit.detail.type],
      ['delete', 'olga', 'completed', 'op.quick'],
    );
  });

  it('bulk delete by filter deletes every finished match in batches; unfinished ones stay', async () => {
    await pool.query(
      `INSERT INTO "${schema}".jobs (queue, type, payload, state, max_attempts, finished_at)
       SELECT 'del', 'x', '{}', CASE WHEN g % 2 = 0 THEN 'completed' ELSE 'failed' END, 1, now() FROM generate_series(1, 2300) g`,
    );
    await pool.query(
      `INSERT INTO "${schema}".jobs (queue, type, payload, state, max_attempts) SELECT 'del', 'x', '{}', 'pending', 1 FROM generate_series(1, 5)`,
    );
    const res = await call('POST', '/api/jobs/delete', { filter: { queue: 'del' } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { affected: 2300 });
    assert.equal(await count(`queue = 'del'`), 5);
    assert.equal(await count(`queue = 'del' AND state = 'pending'`), 5);
    const batches = await pool.query(
      `SELECT (detail->>'count')::int AS n FROM "${schema}".audit_log WHERE action = 'delete' AND detail->>'bulk' = 'true' ORDER BY id`,
    );
    assert.deepEqual(
      batches.rows.map((r) => r.n),
      [1000, 1000, 300],
    );
    const bad = await call('POST', '/api/jobs/delete', { filter: { queue: 'del', sort: 'id' } });
    assert.deepEqual([bad.status, bad.body.field], [400, 'filter.sort']);
  });

  it('clean deletes a state older than olderThanMs in bounded batches, up to limit', async () => {
    await pool.query(
      `INSERT INTO "${schema}".jobs (queue, type, payload, state, max_attempts, finished_at)
       SELECT 'cl', 'x', '{}'::jsonb, 'completed', 1, now() - interval '2 hours' - g * interval '1 second' FROM generate_series(1, 2500) g
       UNION ALL SELECT 'cl', 'x', '{}'::jsonb, 'completed', 1, now() FROM generate_series(1, 10)
       UNION ALL SELECT 'cl', 'x', '{}'::jsonb, 'failed', 1, now() - interval '2 hours' FROM generate_series(1, 7)
       UNION ALL SELECT 'cl-other', 'x', '{}'::jsonb, 'completed', 1, now() - interval '2 hours' FROM generate_series(1, 4)`,
    );
    const res = await call('POST', '/api/jobs/clean', { queue: 'cl', state: 'completed', olderThanMs: 3_600_000 });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { deleted: 2500 });
    assert.equal(await count(`queue = 'cl' AND state = 'completed'`), 10);
    assert.equal(await count(`queue = 'cl-other'`), 4);
    const limited = await call('POST', '/api/jobs/clean', { queue: 'cl', state: 'failed', olderThanMs: 0, limit: 3 });
    assert.deepEqual(limited.body, { deleted: 3 });
    assert.equal(await count(`queue = 'cl' AND state = 'failed'`), 4);
    // A clean that deletes nothing writes no audit row (the newest rows below are the two above).
    const none = await call('POST', '/api/jobs/clean', { queue: 'cl', state: 'canceled', olderThanMs: 0 });
    assert.deepEqual(none.body, { deleted: 0 });
    const audit = (await call('GET', '/api/audit?limit=2')).body.items as Array<{
      action: string;
      detail: { deleted: number };
    }>;
    assert.deepEqual(
      audit.map((a) => [a.action, a.detail.deleted]),
      [
        ['clean', 3],
        ['clean', 2500],
      ],
    );
    const cases: Array<[unknown, string]> = [
      [{ state: 'pending', olderThanMs: 0 }, 'state'],
      [{ state: 'completed' }, 'olderThanMs'],
      [{ state: 'completed', olderThanMs: -1 }, 'olderThanMs'],
      [{ state: 'completed', olderThanMs: 0, limit: 0 }, 'limit'],
      [{ state: 'completed', olderThanMs: 0, every: true }, 'every'],
    ];
    for (const [body, field] of cases) {
      const bad = await call('POST', '/api/jobs/clean', body);
      assert.deepEqual([bad.status, bad.body.field], [400, field], JSON.stringify(body));
    }
    assert.equal(
      (await call('POST', '/api/jobs/clean', { state: 'completed', olderThanMs: 0 }, { 'x-role': 'viewer' })).status,
      403,
    );
    assert.equal(await count(`queue = 'cl'`), 14, 'refused requests deleted nothing');
  });
});
