import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Request } from 'express';
import { JobHandler, type JobsAccess } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { listenLocally, restApiImports } from './support/rest';
import { waitFor } from './support/wait';

@Injectable()
@JobHandler('api.tick')
class TickHandler {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('api.coded', { schedule: { name: 'coded', cron: '0 3 * * *' } })
class CodedHandler {
  async handle(): Promise<void> {}
}

/** `x-role: viewer` reads only; anyone else has every right. The actor is the `x-user` header. */
const access = (req: Request): JobsAccess => (req.headers['x-role'] === 'viewer' ? 'read-only' : 'full');
const actor = (req: Request): string => String(req.headers['x-user'] ?? 'api');

describe('schedules REST API', () => {
  const pool = assertionPool();
  let t: TestApp;
  let base: string;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/api/schedules${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-requested-with': 'test', 'x-user': 'alice', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the wire
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
  };
  const count = async () =>
    (await pool.query(`SELECT count(*)::int AS n FROM "${t.schema}".schedules`)).rows[0].n as number;

  before(async () => {
    t = await createTestApp([TickHandler, CodedHandler], {}, restApiImports({ access, actor }));
    base = await listenLocally(t);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('creates, reads, lists, changes and deletes a schedule', async () => {
    const created = await call('POST', '', { name: 'hourly', type: 'api.tick', cron: '0 * * * *', payload: { a: 1 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.name, 'hourly');
    assert.equal(created.body.missed, 'once');
    assert.equal(created.body.overlap, 'allow');
    assert.equal(created.body.updatedBy, 'alice');
    assert.equal(new Date(created.body.nextRunAt).getUTCMinutes(), 0);
    const list = await call('GET', '');
    assert.deepEqual(
      list.body.items.map((s: { name: string }) => s.name),
      ['coded', 'hourly'],
    );
    const patched = await call('PATCH', '/hourly', { intervalMs: 60_000, overlap: 'skip' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.cron, null);
    assert.equal(patched.body.intervalMs, 60_000);
    assert.equal(patched.body.overlap, 'skip');
    assert.deepEqual(patched.body.payload, { a: 1 }, 'fields not given are kept');
    const row = await pool.query(`SELECT cron, interval_ms FROM "${t.schema}".schedules WHERE name = 'hourly'`);
    assert.deepEqual(row.rows[0], { cron: null, interval_ms: '60000' });
    assert.equal((await call('DELETE', '/hourly')).status, 200);
    assert.equal((await call('GET', '/hourly')).status, 404);
  });

  it('bad input is a 400 naming the field, never a 500, and writes nothing', async () => {
    const before = await count();
    const cases: Array<[unknown, string]> = [
      [{ name: 'b', type: 'api.tick', cron: 'every day' }, 'cron'],
      [{ name: 'b', type: 'api.tick', cron: 5 }, 'cron'],
      [{ name: 'b', type: 'api.tick', intervalMs: 'soon' }, 'intervalMs'],
      [{ name: 'b', type: 'api.tick', cron: '0 3 * * *', timeZone: 'Paris' }, 'timeZone'],
      [{ name: 'b', type: 'nobody.handles', cron: '0 3 * * *' }, 'type'],
      [{ name: 'b', type: 'api.tick', cron: '0 3 * * *', colour: 'red' }, 'colour'],
      [{ name: 'b', type: 'api.tick', cron: '0 3 * * *', payload: { bad: 'a\u0000b' } }, 'payload.bad'],
      [{ name: '', type: 'api.tick', cron: '0 3 * * *' }, 'name'],
      [{ name: 'b', type: 'api.tick', cron: '0 3 * * *', missed: 'all', maxCatchUp: 5_000 }, 'maxCatchUp'],
      [[1, 2], 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await call('POST', '', body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.field, field, JSON.stringify(res.body));
    }
    assert.equal((await call('POST', '', '{"name": ')).status, 400, 'malformed JSON');
    await call('POST', '', { name: 'keep', type: 'api.tick', cron: '0 3 * * *' });
    const patch = await call('PATCH', '/keep', { cron: '99 * * * *' });
    assert.equal(patch.status, 400);
    assert.equal(patch.body.field, 'cron');
    assert.equal((await call('PATCH', '/keep', { name: 'renamed' })).body.field, 'name');
    assert.equal((await call('GET', '/keep')).body.cron, '0 3 * * *', 'a refused change changes nothing');
    assert.equal(await count(), before + 1);
    assert.equal((await call('GET', '/keep/runs?limit=0')).body.field, 'limit');
    assert.equal((await call('GET', '/keep/runs?before=yesterday')).body.field, 'before');
  });

  it('409 for a taken name and for changing a schedule declared in code; 404 for none', async () => {
    await call('POST', '', { name: 'dup', type: 'api.tick', cron: '0 3 * * *' });
    assert.equal((await call('POST', '', { name: 'dup', type: 'api.tick', cron: '0 4 * * *' })).status, 409);
    const coded = await call('PATCH', '/coded', { cron: '0 4 * * *' });
    assert.equal(coded.status, 409);
    assert.match(coded.body.message, /declared in code/);
    assert.equal((await call('DELETE', '/coded')).status, 409);
    assert.equal((await call('POST', '/nope/pause')).status, 404);
    assert.equal((await call('POST', '/nope/run')).status, 404);
    assert.equal((await call('GET', '/nope/runs')).status, 404);
    assert.equal((await call('GET', '/..%2F..')).status, 404);
  });

  it('pause, resume and run now, with the actor recorded; a code schedule may be paused', async () => {
    const paused = await call('POST', '/coded/pause');
    assert.equal(paused.status, 200);
    assert.equal(paused.body.paused, true);
    assert.equal(paused.body.pausedBy, 'alice');
    const resumed = await call('POST', '/coded/resume');
    assert.equal(resumed.body.paused, false);
    const run = await call('POST', '/coded/run', undefined, { 'x-user': 'bob' });
    assert.equal(run.status, 201, JSON.stringify(run.body));
    assert.equal(run.body.type, 'api.coded');
    const runs = await waitFor(async () => {
      const res = await call('GET', '/coded/runs');
      return res.body.items[0]?.jobState === 'completed' ? res.body : undefined;
    });
    assert.equal(runs.items.length, 1);
    assert.equal(runs.items[0].outcome, 'manual');
    assert.equal(runs.items[0].jobId, run.body.id);
    const recorded = await pool.query(`SELECT actor FROM "${t.schema}".schedule_runs WHERE job_id = $1`, [run.body.id]);
    assert.equal(recorded.rows[0].actor, 'bob');
    const detail = await call('GET', '/coded');
    assert.equal(detail.body.lastOutcome, 'manual');
    assert.equal(detail.body.lastJobState, 'completed');
  });

  it('writes need the schedule right (403, nothing written); reads do not', async () => {
    const viewer = { 'x-role': 'viewer' };
    const before = await count();
    const res = await call('POST', '', { name: 'v', type: 'api.tick', cron: '0 3 * * *' }, viewer);
    assert.equal(res.status, 403);
    assert.equal(res.body.action, 'schedule');
    assert.equal((await call('POST', '/coded/run', undefined, viewer)).status, 403);
    assert.equal((await call('POST', '/coded/pause', undefined, viewer)).status, 403);
    assert.equal((await call('DELETE', '/keep', undefined, viewer)).status, 403);
    assert.equal((await call('GET', '', undefined, viewer)).status, 200);
    assert.equal(await count(), before);
  });
});

describe('schedule caps: the pending cap, the number of schedules, the shortest interval, pages', () => {
  const pool = assertionPool();
  let t: TestApp;
  let base: string;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/api/schedules${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-requested-with': 'test' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the wire
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as any };
  };
  const waiting = async (queue: string) =>
    (
      await pool.query(
        `SELECT count(*)::int AS n FROM "${t.schema}".jobs WHERE queue = $1 AND state IN ('pending', 'scheduled')`,
        [queue],
      )
    ).rows[0].n as number;

  before(async () => {
    t = await createTestApp(
      [TickHandler],
      { queues: { capped: { maxPendingJobs: 2 } }, maxSchedules: 4, minScheduleIntervalMs: 2_000, pollIntervalMs: 100 },
      restApiImports(),
    );
    base = await listenLocally(t);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('ticks and run-now count against maxPendingJobs: past it run-now is 429 and a tick enqueues nothing', async () => {
    await t.jobs.pauseQueue('capped'); // nothing leaves the queue
    const created = await call('POST', '', { name: 'often', type: 'api.tick', queue: 'capped', intervalMs: 2_000 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call('POST', '/often/run');
      runs.push(res.status);
      if (res.status === 429) assert.ok(Number(res.headers.get('retry-after')) >= 1);
    }
    assert.ok(runs.filter((s) => s === 201).length <= 2, `run-now answers: ${runs.join(',')}`);
    assert.ok(runs.includes(429), `run-now answers: ${runs.join(',')}`);
    await waitFor(
      async () =>
        (
          await pool.query(
            `SELECT 1 FROM "${t.schema}".schedule_runs WHERE schedule = 'often' AND outcome = 'skipped' AND job_id IS NULL`,
          )
        ).rowCount! > 0,
      { message: 'a tick refused by the full queue', timeoutMs: 15_000 },
    );
    assert.equal(await waiting('capped'), 2, 'the cap held');
    assert.equal((await call('DELETE', '/often')).status, 200);
  });

  it('refuses a cadence shorter than minScheduleIntervalMs, naming the field, and more than maxSchedules', async () => {
    const short = await call('POST', '', { name: 'short', type: 'api.tick', intervalMs: 1_000 });
    assert.equal(short.status, 400);
    assert.equal(short.body.field, 'intervalMs');
    const cron = await call('POST', '', { name: 'short', type: 'api.tick', cron: '* * * * * *' });
    assert.equal(cron.status, 400);
    assert.equal(cron.body.field, 'cron');
    for (const name of ['p1', 'p2', 'p3', 'p4']) {
      const res = await call('POST', '', { name, type: 'api.tick', cron: '0 3 * * *' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const fifth = await call('POST', '', { name: 'p5', type: 'api.tick', cron: '0 3 * * *' });
    assert.equal(fifth.status, 409);
    assert.match(fifth.body.message, /maxSchedules/);
    const stored = await pool.query(`SELECT name FROM "${t.schema}".schedules ORDER BY name`);
    assert.deepEqual(
      stored.rows.map((r) => r.name),
      ['p1', 'p2', 'p3', 'p4'],
    );
  });

  it('lists a page at a time: limit and cursor, nextCursor null on the last page, bad limits refused', async () => {
    const pages: string[][] = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const res = await call('GET', `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200);
      pages.push(res.body.items.map((s: { name: string }) => s.name));
      cursor = res.body.nextCursor;
    }
    assert.deepEqual(pages, [['p1', 'p2', 'p3'], ['p4']]);
    for (const limit of ['0', '501', 'abc', '-1', '1e2']) {
      const res = await call('GET', `?limit=${limit}`);
      assert.equal(res.status, 400, limit);
      assert.equal(res.body.field, 'limit');
    }
  });
});
