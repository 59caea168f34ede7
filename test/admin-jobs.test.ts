import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Request } from 'express';
import { JobHandler, PermanentJobError, type Job, type JobContext, type JobsAccess } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { listenLocally, restApiImports, type JsonReply } from './support/rest';
import { waitFor } from './support/wait';

const seen = new Map<string, unknown>(); // job id -> payload its handler ran with
const aborted = new Set<string>();
const startedBlocking = new Set<string>();

@Injectable()
@JobHandler('adm.ok')
class OkHandler {
  async handle(job: Job): Promise<void> {
    seen.set(job.id, job.payload);
  }
}

@Injectable()
@JobHandler('adm.fix-me')
class FixMeHandler {
  async handle(job: Job<{ fixed: boolean }>): Promise<void> {
    seen.set(job.id, job.payload);
    if (!job.payload.fixed) throw new PermanentJobError('not fixed yet');
  }
}

@Injectable()
@JobHandler('adm.flaky', { backoff: { baseDelayMs: 10, maxDelayMs: 20 } })
class FlakyHandler {
  async handle(_job: Job, ctx: JobContext): Promise<void> {
    if (ctx.attempt === 1) throw new Error('first attempt fails');
  }
}

@Injectable()
@JobHandler('adm.block', { queue: 'blocking' })
class BlockingHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    startedBlocking.add(job.id);
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    aborted.add(job.id);
  }
}

/** Rights by `x-role` (viewer: read-only, operator: replay only, else full); actor from `x-user`. */
const apiOptions = {
  access: (req: Request): JobsAccess =>
    req.headers['x-role'] === 'viewer' ? 'read-only' : req.headers['x-role'] === 'operator' ? { replay: true } : 'full',
  actor: (req: Request) => String(req.headers['x-user'] ?? ''),
};

interface DataJob {
  id: string;
  queue: string;
  type: string;
  state: string;
  payload: { user: { id: number }; n: number; tag: string };
  key: string | null;
  createdAt: Date;
}

describe('admin API: jobs', () => {
  const pool = assertionPool();
  let t: TestApp;
  let base: string;
  const data: DataJob[] = [];
  const base0 = new Date('2026-01-01T00:00:00Z');

  const get = async (path: string, headers: Record<string, string> = {}): Promise<JsonReply> => {
    const res = await fetch(`${base}${path}`, { headers });
    const text = await res.text();
    const json = (res.headers.get('content-type') ?? '').includes('application/json');
    return { status: res.status, headers: res.headers, body: json ? JSON.parse(text) : undefined, text };
  };
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonReply> => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'test', ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
  };
  const list = async (query: Record<string, string>) => {
    const res = await get(`/api/jobs?${new URLSearchParams(query)}`);
    assert.equal(res.status, 200, res.text);
    return res.body as { items: Array<{ id: string; payloadPreview: string }>; nextCursor: string | null };
  };
  const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
  const expected = (pick: (j: DataJob) => boolean) =>
    data
      .filter(pick)
      .map((j) => j.id)
      .sort((a, b) => Number(b) - Number(a));
  const events = async (id: string) =>
    (await pool.query(`SELECT kind, actor, detail FROM "${t.schema}".job_events WHERE job_id = $1 ORDER BY id`, [id]))
      .rows;

  before(async () => {
    t = await createTestApp(
      [OkHandler, FixMeHandler, FlakyHandler, BlockingHandler],
      { pollIntervalMs: 50 },
      restApiImports(apiOptions),
    );
    base = await listenLocally(t);
    // The known data set: types without a handler here, so no worker touches them.
    const states = ['pending', 'scheduled', 'running', 'completed', 'failed', 'canceled'];
    for (let i = 0; i < 60; i++) {
      const job = {
        queue: `ds-q${(i % 3) + 1}`,
        type: i % 2 === 0 ? 'ds.a' : 'ds.b',
        state: states[i % 6],
        payload: { user: { id: i % 7 }, n: i, tag: i % 2 === 0 ? 'x' : 'y' },
        key: i % 5 === 0 ? `ds-key-${i}` : null,
        createdAt: new Date(base0.getTime() + i * 60_000),
      };
      const res = await pool.query<{ id: string }>(
        `INSERT INTO "${t.schema}".jobs (queue, type, payload, state, max_attempts, run_at, created_at, locked_by,
           locked_until, idempotency_key, idempotency_active)
         VALUES ($1, $2, $3, $4, 5, CASE WHEN $4 = 'scheduled' THEN now() + interval '1 day' ELSE $5 END, $5,
           CASE WHEN $4 = 'running' THEN 'nobody' END, CASE WHEN $4 = 'running' THEN now() + interval '1 day' END,
           $6, false) RETURNING id`,
        [job.queue, job.type, JSON.stringify(job.payload), job.state, job.createdAt, job.key],
      );
      data.push({ id: res.rows[0].id, ...job });
    }
  });

  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('each filter returns exactly the expected jobs, newest first', async () => {
    const cases: Array<[Record<string, string>, (j: DataJob) => boolean]> = [
      [{}, () => true],
      [{ state: 'failed' }, (j) => j.state === 'failed'],
      [{ state: 'failed,canceled' }, (j) => j.state === 'failed' || j.state === 'canceled'],
      [{ queue: 'ds-q2' }, (j) => j.queue === 'ds-q2'],
      [{ type: 'ds.b' }, (j) => j.type === 'ds.b'],
      [{ state: 'pending', queue: 'ds-q1' }, (j) => j.state === 'pending' && j.queue === 'ds-q1'],
      [{ q: data[17].id }, (j) => j.id === data[17].id],
      [{ q: 'ds-key-10' }, (j) => j.key === 'ds-key-10'],
      [{ q: 'payload.user.id:3' }, (j) => j.payload.user.id === 3],
      [{ q: 'payload.tag:x', state: 'completed' }, (j) => j.payload.tag === 'x' && j.state === 'completed'],
      [{ q: 'payload.n:5' }, (j) => j.payload.n === 5],
      [{ q: 'payload.n:"5"' }, () => false], // a JSON string "5" is not the number 5
      [
        {
          from: new Date(base0.getTime() + 10 * 60_000).toISOString(),
          to: new Date(base0.getTime() + 20 * 60_000).toISOString(),
        },
        (j) => j.payload.n >= 10 && j.payload.n < 20,
      ],
    ];
    for (const [query, pick] of cases) {
      const page = await list({ ...query, limit: '200' });
      assert.deepEqual(ids(page.items), expected(pick), JSON.stringify(query));
      assert.equal(page.nextCursor, null);
    }
    const one = (await list({ q: data[4].id })).items[0] as Record<string, unknown>;
    assert.deepEqual(JSON.parse(one.payloadPreview as string), data[4].payload);
    assert.equal(one.state, 'failed');
    assert.equal(one.queue, 'ds-q2');
    assert.equal('payload' in one, false);
  });

  it('cursor pages cover every job once, without gaps', async () => {
    const got: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list({ limit: '7', ...(cursor ? { cursor } : {}) });
      assert.ok(page.items.length <= 7);
      got.push(...ids(page.items));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    assert.equal(pages, 9); // 60 jobs: 8 full pages and one of 4
    assert.deepEqual(
      got,
      expected(() => true),
    );
    const filtered: string[] = [];
    cursor = null;
    do {
      const page = await list({ type: 'ds.a', limit: '4', ...(cursor ? { cursor } : {}) });
      filtered.push(...ids(page.items));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(
      filtered,
      expected((j) => j.type === 'ds.a'),
    );
  });

  it('bad filters answer 400 naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['state=bogus', 'state'],
      ['state=failed,nope', 'state'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=abc', 'cursor'],
      ['from=yesterday', 'from'],
      ['to=2026-13-45', 'to'],
      ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
      ['stat=failed', 'stat'],
      ['q=payload.:1', 'q'],
      ['q=99999999999999999999', 'q'],
      ['queue=a&queue=b', 'queue'],
    ];
    for (const [query, field] of cases) {
      const res = await get(`/api/jobs?${query}`);
      assert.equal(res.status, 400, `${query}: ${res.text}`);
      assert.equal(res.body.field, field, `${query}: ${res.text}`);
    }
  });

  it('the detail has the attempts and a timeline: enqueued, started, failed, retry, started, completed', async () => {
    const job = await t.jobs.enqueue('adm.flaky', {});
    await waitFor(async () => (await t.jobs.get(job.id))?.state === 'completed', { message: 'flaky job to complete' });
    const res = await get(`/api/jobs/${job.id}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.attemptHistory.length, 1);
    assert.equal(res.body.attemptHistory[0].error, 'first attempt fails');
    assert.match(res.body.attemptHistory[0].stack, /first attempt fails/);
    const timeline = res.body.timeline as Array<{ at: string; event: string; detail?: Record<string, unknown> }>;
    assert.deepEqual(
      timeline.map((e) => e.event),
      ['enqueued', 'started', 'failed', 'retry_scheduled', 'started', 'completed'],
    );
    assert.equal(timeline[2].detail?.error, 'first attempt fails');
    assert.equal(timeline[5].detail?.attempt, 2);
    const times = timeline.map((e) => Date.parse(e.at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
    assert.equal((await get('/api/jobs/123456789')).status, 404);
    assert.equal((await get('/api/jobs/abc')).status, 404);
  });

  it('a payload over 256 KiB is truncated in the detail unless ?full=1', async () => {
    const payload = { blob: 'x'.repeat(300_000) };
    const job = await t.jobs.enqueue('adm.ok', payload);
    const cut = await get(`/api/jobs/${job.id}`);
    assert.equal(cut.status, 200);
    assert.equal(cut.body.payload.truncated, true);
    assert.equal(cut.body.payload.size, Buffer.byteLength(JSON.stringify(payload).replace(':', ': ')));
    assert.equal(cut.body.payload.preview.length, 4096);
    assert.ok(cut.text.length < 20_000, `detail is ${cut.text.length} characters`);
    const full = await get(`/api/jobs/${job.id}?full=1`);
    assert.deepEqual(full.body.payload, payload);
    const small = await get(`/api/jobs/${data[0].id}`);
    assert.deepEqual(small.body.payload, data[0].payload);
  });

  it('a payload with <script> comes back as JSON text, unchanged', async () => {
    const payload = { html: '<script>alert("x")</script>', note: '</script><img src=x onerror=alert(1)>' };
    const job = await t.jobs.enqueue('adm.ok', payload, { delayMs: 60_000 });
    const detail = await get(`/api/jobs/${job.id}`);
    assert.match(detail.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(detail.body.payload, payload);
    const page = await list({ q: job.id });
    assert.ok(page.items[0].payloadPreview.includes('<script>alert('), page.items[0].payloadPreview);
    assert.deepEqual(JSON.parse(page.items[0].payloadPreview), payload);
  });

  it('replay with an edited payload records the actor and runs with the new payload', async () => {
    const job = await t.jobs.enqueue('adm.fix-me', { fixed: false });
    await waitFor(async () => (await t.jobs.get(job.id))?.state === 'failed', { message: 'job to fail' });
    const res = await post(`/api/jobs/${job.id}/replay`, { payload: { fixed: true } }, { 'x-user': 'alice' });
    assert.equal(res.status, 200, res.text);
    await waitFor(async () => (await t.jobs.get(job.id))?.state === 'completed', {
      message: 'replayed job to complete',
    });
    assert.deepEqual(seen.get(job.id), { fixed: true });
    const [recorded] = await events(job.id);
    assert.deepEqual(
      { ...recorded, detail: { ...recorded.detail, previousRunAt: undefined } },
      {
        kind: 'replayed',
        actor: 'alice',
        detail: { payloadEdited: true, previousPayload: { fixed: false }, previousRunAt: undefined },
      },
    );
    // The run time before the replay is kept, and the enqueued entry still shows it.
    assert.equal(new Date(recorded.detail.previousRunAt).getTime(), job.runAt.getTime());
    const detail = await get(`/api/jobs/${job.id}`);
    const timeline = detail.body.timeline as Array<{ event: string; actor?: string; detail?: Record<string, unknown> }>;
    const replayed = timeline.find((e) => e.event === 'replayed');
    assert.equal(replayed?.actor, 'alice');
    assert.deepEqual(replayed?.detail?.previousPayload, { fixed: false });
    assert.equal(
      new Date(String(timeline[0].detail?.runAt)).getTime(),
      job.runAt.getTime(),
      'enqueued keeps its run time',
    );
    assert.ok(new Date(detail.body.runAt).getTime() > job.runAt.getTime(), 'the job itself runs at the replay time');
    assert.deepEqual(
      timeline.map((e) => e.event),
      ['enqueued', 'started', 'failed', 'replayed', 'started', 'completed'],
    );
    // Cancel through the API is recorded too; without an actor header the default is 'api'.
    const later = await t.jobs.enqueue('adm.ok', {}, { delayMs: 60_000 });
    assert.equal((await post(`/api/jobs/${later.id}/cancel`, {})).status, 200);
    assert.deepEqual(await events(later.id), [{ kind: 'canceled', actor: 'api', detail: { from: 'scheduled' } }]);
    const replayedSame = await post(`/api/jobs/${later.id}/replay`, { payload: {} }, { 'x-user': 'bob' });
    assert.equal(replayedSame.status, 200);
    const second = (await events(later.id))[1];
    assert.deepEqual([second.kind, second.actor, second.detail.payloadEdited], ['replayed', 'bob', false]);
    assert.equal('previousPayload' in second.detail, false, 'an unchanged payload is not copied');
  });

  it('bulk replay by filter: 2,500 failed jobs in batches, all run again', async () => {
    await pool.query(
      `INSERT INTO "${t.schema}".jobs (queue, type, payload, state, attempts, max_attempts, finished_at, last_error)
       SELECT 'default', 'adm.ok', jsonb_build_object('bulk', g), 'failed', 5, 5, now(), 'boom' FROM generate_series(1, 2500) g`,
    );
    const res = await post(
      '/api/jobs/replay',
      { filter: { state: 'failed', type: 'adm.ok', queue: 'default' } },
      { 'x-user': 'carol' },
    );
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { affected: 2500 });
    const counts = async () =>
      (
        await pool.query<{ state: string; n: number }>(
          `SELECT state, count(*)::int AS n FROM "${t.schema}".jobs WHERE payload ? 'bulk' GROUP BY state`,
        )
      ).rows;
    await waitFor(async () => JSON.stringify(await counts()) === JSON.stringify([{ state: 'completed', n: 2500 }]), {
      timeoutMs: 30_000,
      message: '2,500 replayed jobs to complete',
    });
    const ev = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${t.schema}".job_events e JOIN "${t.schema}".jobs j ON j.id = e.job_id
       WHERE j.payload ? 'bulk' AND e.kind = 'replayed' AND e.actor = 'carol'`,
    );
    assert.equal(ev.rows[0].n, 2500);
    // Again: nothing failed is left, so nothing is replayed.
    assert.deepEqual((await post('/api/jobs/replay', { filter: { q: 'payload.bulk:7' } })).body, { affected: 0 });
  });

  it('bulk replay by ids takes only failed or canceled jobs', async () => {
    const failed = data.filter((j) => j.state === 'failed').slice(0, 3);
    const completed = data.find((j) => j.state === 'completed');
    assert.ok(completed);
    const res = await post('/api/jobs/replay', { ids: [...failed.map((j) => j.id), completed.id, '999999999'] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { affected: 3 });
    for (const j of failed) assert.equal((await t.jobs.get(j.id))?.state, 'pending');
    assert.equal((await t.jobs.get(completed.id))?.state, 'completed');
  });

  it('bulk cancel of running jobs aborts their handlers; by filter cancels scheduled ones', async () => {
    const running = await Promise.all([1, 2, 3].map((n) => t.jobs.enqueue('adm.block', { n })));
    await waitFor(() => running.every((j) => startedBlocking.has(j.id)), { message: 'handlers to start' });
    const res = await post('/api/jobs/cancel', { ids: running.map((j) => j.id) }, { 'x-user': 'dave' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { affected: 3 });
    await waitFor(() => running.every((j) => aborted.has(j.id)), { message: 'handlers to be aborted' });
    for (const j of running) {
      const job = await t.jobs.get(j.id);
      assert.equal(job?.state, 'canceled');
      assert.equal(job?.attemptHistory.at(-1)?.outcome, 'canceled');
      assert.deepEqual(await events(j.id), [
        { kind: 'canceled', actor: 'dave', detail: { bulk: true, from: 'running' } },
      ]);
    }
    const later = await t.jobs.enqueueMany(
      Array.from({ length: 5 }, () => ({ type: 'adm.ok', payload: {}, queue: 'later', delayMs: 60_000 })),
    );
    const byFilter = await post('/api/jobs/cancel', { filter: { queue: 'later' } });
    assert.deepEqual(byFilter.body, { affected: 5 });
    for (const j of later) assert.equal((await t.jobs.get(j.id))?.state, 'canceled');
  });

  it('bulk requests are validated: one of ids or filter, at most 10,000 ids, known filters', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'ids'],
      [{ ids: ['1'], filter: {} }, 'ids'],
      [{ ids: Array.from({ length: 10_001 }, (_, i) => String(i + 1)) }, 'ids'],
      [{ ids: ['1', 'x'] }, 'ids[1]'],
      [{ ids: '1' }, 'ids'],
      [{ filter: { state: 'done' } }, 'filter.state'],
      [{ filter: { stat: 'failed' } }, 'filter.stat'],
      [{ filter: { limit: 5 } }, 'filter.limit'],
      [{ everything: true }, 'everything'],
    ];
    for (const [body, field] of cases) {
      const res = await post('/api/jobs/cancel', body);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${res.text}`);
      assert.equal(res.body.field, field, res.text);
    }
  });

  it('a read-only caller gets 403 on the bulk endpoints; an operator may replay but not cancel', async () => {
    const target = data.find((j) => j.state === 'scheduled');
    assert.ok(target);
    for (const path of ['/api/jobs/replay', '/api/jobs/cancel']) {
      const res = await post(path, { ids: [target.id] }, { 'x-role': 'viewer' });
      assert.equal(res.status, 403, res.text);
    }
    assert.equal((await post('/api/jobs/cancel', { ids: [target.id] }, { 'x-role': 'operator' })).status, 403);
    assert.equal((await post('/api/jobs/replay', { ids: [target.id] }, { 'x-role': 'operator' })).status, 200);
    assert.equal((await t.jobs.get(target.id))?.state, 'scheduled');
    const res = await fetch(`${base}/api/jobs/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [target.id] }),
    });
    assert.equal(res.status, 403);
  });
});
