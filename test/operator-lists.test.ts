import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobsOperatorsService } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { JOBS_STORAGE, type JobsStorage } from './support/internals';
import { listenLocally, postJson, restApiImports, type JsonReply } from './support/rest';

/** Lists sorted and filtered for operators (issue 13): retries soonest first, finished jobs by finish
 * time, error filters, dead letters grouped over every failed job, the empty-search hint, the
 * statement timeout. Data is inserted directly, with types no handler serves. */
describe('operator API: lists and dead letters', () => {
  const pool = assertionPool();
  let t: TestApp;
  let base: string;
  const get = async (path: string): Promise<JsonReply> => {
    const res = await fetch(`${base}${path}`);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
  };
  type Page = {
    items: Array<Record<string, unknown> & { id: string }>;
    nextCursor: string | null;
    hint: string | null;
  };
  /** Every page of a list, following nextCursor with `limit`. */
  const all = async (query: Record<string, string>, limit = 3): Promise<string[]> => {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 1_000; guard++) {
      const params = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
      const res = await get(`/api/jobs?${params}`);
      assert.equal(res.status, 200, res.text);
      const page = res.body as Page;
      ids.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('too many pages');
  };
  const insert = async (rows: string): Promise<string[]> =>
    (await pool.query<{ id: string }>(`INSERT INTO "${t.schema}".jobs ${rows} RETURNING id`)).rows.map((r) => r.id);

  before(async () => {
    t = await createTestApp([], { pollIntervalMs: 50, workers: false }, restApiImports());
    base = await listenLocally(t);
  });

  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('retrying=true lists scheduled jobs with attempts, soonest first across pages; runAt sorts delayed ones', async () => {
    // 8 retrying jobs due in 1..8 minutes (inserted in shuffled order), 6 delayed ones (attempts 0)
    // due in 30 s .. 1 h, one pending job with attempts.
    const minutes = [5, 2, 8, 1, 7, 3, 6, 4];
    const retrying = await insert(`(queue, type, payload, state, attempts, max_attempts, run_at, last_error)
      SELECT 'ls-r', 'ls.retry', '{}', 'scheduled', 2, 60, now() + m * interval '1 minute', 'boom'
      FROM unnest(ARRAY[${minutes}]) m`);
    const delays = [3600, 30, 1800, 60, 900, 5];
    const delayed = await insert(`(queue, type, payload, state, attempts, max_attempts, run_at)
      SELECT 'ls-r', 'ls.delay', '{}', 'scheduled', 0, 5, now() + s * interval '1 second' FROM unnest(ARRAY[${delays}]) s`);
    await insert(
      `(queue, type, payload, state, attempts, max_attempts) VALUES ('ls-r', 'ls.retry', '{}', 'pending', 3, 5)`,
    );
    const byMinute = minutes.map((m, i) => [m, retrying[i]] as const).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(
      await all({ queue: 'ls-r', retrying: 'true' }),
      byMinute.map(([, id]) => id),
    );
    const bySecond = [
      ...minutes.map((m, i) => [m * 60, retrying[i]] as const),
      ...delays.map((s, i) => [s, delayed[i]] as const),
    ]
      .sort((a, b) => a[0] - b[0])
      .map(([, id]) => id);
    assert.deepEqual(
      await all({ queue: 'ls-r', state: 'scheduled', sort: 'runAt' }),
      bySecond,
      'due in 5 s first, in 1 h last',
    );
    assert.deepEqual(
      await all({ queue: 'ls-r', state: 'scheduled', sort: 'runAt', order: 'desc' }, 4),
      [...bySecond].reverse(),
    );
    // The old view's way (newest first) is still the default, and the first page is the same.
    const page = (await get(`/api/jobs?queue=ls-r&retrying=true&limit=50`)).body as Page;
    assert.equal(
      page.items.every((i) => i.state === 'scheduled' && Number(i.attempts) > 0),
      true,
    );
  });

  it('sort=finishedAt pages finished jobs by finish time, with durationMs', async () => {
    const ids = await insert(`(queue, type, payload, state, attempts, max_attempts, started_at, finished_at)
      SELECT 'ls-f', 'ls.done', '{}', 'completed', 1, 1, now() - interval '1 hour' - k * interval '1 minute' - interval '1.5 second',
        now() - interval '1 hour' - k * interval '1 minute'
      FROM unnest(ARRAY[4, 0, 3, 1, 2]) k`);
    const newestFirst = [ids[1], ids[3], ids[4], ids[2], ids[0]];
    assert.deepEqual(await all({ queue: 'ls-f', state: 'completed', sort: 'finishedAt' }, 2), newestFirst);
    assert.deepEqual(
      await all({ queue: 'ls-f', state: 'completed', sort: 'finishedAt', order: 'asc' }, 2),
      [...newestFirst].reverse(),
    );
    const page = (await get(`/api/jobs?queue=ls-f&state=completed&limit=1`)).body as Page;
    assert.equal(page.items[0].durationMs, 1_500);
  });

  it('bad sorts and cursors answer 400 naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['sort=runAt', 'sort'],
      ['sort=runAt&state=completed', 'sort'],
      ['sort=finishedAt&state=failed,pending', 'sort'],
      ['sort=createdAt', 'sort'],
      ['order=up', 'order'],
      ['state=completed&sort=finishedAt&cursor=123', 'cursor'],
      ['state=scheduled&sort=runAt&cursor=bm90LWEtY3Vyc29y', 'cursor'],
      [
        `state=scheduled&sort=runAt&cursor=${Buffer.from('2026-13-45T00:00:00.000000Z_5').toString('base64url')}`,
        'cursor',
      ],
      ['retrying=maybe', 'retrying'],
      ['retrying=true&state=failed', 'retrying'],
      ['error=', 'error'],
    ];
    for (const [query, field] of cases) {
      const res = await get(`/api/jobs?${query}`);
      if (query === 'error=') {
        assert.equal(res.status, 200, 'an empty error filter is no filter');
        continue;
      }
      assert.equal(res.status, 400, `${query}: ${res.text}`);
      assert.equal(res.body.field, field, query);
    }
  });

  it('dead-letter groups count every failed job by queue, type and first error line; errorGroup replays a whole group', async () => {
    await insert(`(queue, type, payload, state, attempts, max_attempts, finished_at, last_error)
      SELECT 'ls-d', CASE WHEN g % 3 = 0 THEN 'ls.mail' ELSE 'ls.sim' END, jsonb_build_object('g', g), 'failed', 1, 1,
        now() - g * interval '1 second',
        CASE WHEN g % 3 = 0 THEN 'SMTP 550 mailbox unavailable' WHEN g % 3 = 1 THEN E'simulated failure\n    at handle (sim.ts:1)'
          ELSE E'  timeout after 5000 ms  \r\n  at x' END
      FROM generate_series(1, 1200) g`);
    await insert(
      `(queue, type, payload, state, attempts, max_attempts, finished_at) VALUES ('ls-d', 'ls.sim', '{}', 'failed', 1, 1, now())`,
    );
    const res = await get('/api/dead-letters/groups?queue=ls-d');
    assert.equal(res.status, 200, res.text);
    const groups = res.body.items as Array<{ type: string; error: string; count: number; sampleId: string }>;
    assert.deepEqual(
      groups.map((g) => [g.type, g.error, g.count]),
      [
        ['ls.sim', 'simulated failure', 400],
        ['ls.sim', 'timeout after 5000 ms', 400],
        ['ls.mail', 'SMTP 550 mailbox unavailable', 400],
        ['ls.sim', '', 1],
      ],
    );
    assert.equal(res.body.total, 1201);
    assert.equal(res.body.estimated, false);
    // Past the scan limit the answer says its counts are estimates.
    const capped = await t.app.get(JobsOperatorsService).deadLetterGroups({ queue: 'ls-d' }, 500);
    assert.equal(capped.estimated, true);
    assert.equal(capped.scanned, 500);
    // The group's error selects exactly its jobs in the list and in a bulk replay (past any page size).
    const listed = await get(
      `/api/jobs?${new URLSearchParams({ queue: 'ls-d', errorGroup: 'timeout after 5000 ms', limit: '200' })}`,
    );
    assert.equal(listed.body.items.length, 200);
    const replay = await postJson(`${base}/api/jobs/replay`, {
      filter: { state: 'failed', queue: 'ls-d', type: 'ls.sim', errorGroup: 'timeout after 5000 ms' },
    });
    assert.equal(replay.status, 200, replay.text);
    assert.deepEqual(replay.body, { affected: 400 });
    const states = await pool.query(
      `SELECT state, count(*)::int AS n FROM "${t.schema}".jobs WHERE queue = 'ls-d' GROUP BY state ORDER BY state`,
    );
    assert.deepEqual(states.rows, [
      { state: 'failed', n: 801 },
      { state: 'pending', n: 400 },
    ]);
    // Failed jobs without an error text are the group "" (errorGroup '(none)').
    assert.equal((await all({ queue: 'ls-d', state: 'failed', errorGroup: '(none)' })).length, 1);
    // `error` is a case-insensitive substring, with % and _ taken literally.
    assert.equal((await all({ queue: 'ls-d', error: 'smtp 550', state: 'failed' }, 200)).length, 400);
    assert.equal((await all({ queue: 'ls-d', error: '5%0' }, 200)).length, 0);
    const groupsAfter = await get('/api/dead-letters/groups?queue=ls-d&type=ls.mail&limit=1');
    assert.deepEqual(
      groupsAfter.body.items.map((g: { count: number }) => g.count),
      [400],
    );
    assert.equal((await get('/api/dead-letters/groups?limit=0')).body.field, 'limit');
    assert.equal((await get('/api/dead-letters/groups?state=failed')).body.field, 'state');
  });

  it('a free-text search that matches nothing answers a hint saying how q was read', async () => {
    const cases: Array<[string, RegExp]> = [
      ['999999999', /job id/],
      ['no-such-key', /idempotency key/],
      ['payload.n:5', /payload containment \{"n":5\}/],
    ];
    for (const [q, hint] of cases) {
      const page = (await get(`/api/jobs?${new URLSearchParams({ q, queue: 'nowhere' })}`)).body as Page;
      assert.deepEqual(page.items, []);
      assert.match(String(page.hint), hint);
    }
    assert.equal(((await get('/api/jobs?queue=ls-f')).body as Page).hint, null);
  });

  it('an admin statement past its timeout answers 503 StatementTimeout, and the API recovers', async () => {
    const storage = t.app.get<JobsStorage>(JOBS_STORAGE);
    const locker = await pool.connect();
    const previous = storage.db.adminTimeoutMs;
    try {
      storage.db.adminTimeoutMs = 300;
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${t.schema}".jobs IN ACCESS EXCLUSIVE MODE`);
      const res = await get('/api/jobs?limit=5');
      assert.equal(res.status, 503, res.text);
      assert.equal(res.body.error, 'StatementTimeout');
      assert.match(res.body.message, /within 300 ms/);
      const groups = await get('/api/dead-letters/groups');
      assert.equal(groups.status, 503, groups.text);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
      storage.db.adminTimeoutMs = previous;
    }
    assert.equal((await get('/api/jobs?limit=5')).status, 200);
  });

  it('a replay keeps the replaced payload (a large one as a preview) and the run time in its event', async () => {
    const big = { blob: 'x'.repeat(100_000) };
    const [bigId, smallId] =
      await insert(`(queue, type, payload, state, attempts, max_attempts, run_at, finished_at, last_error)
      VALUES ('ls-h', 'ls.h', '${JSON.stringify(big)}', 'failed', 1, 1, '2026-01-02T03:04:05.678Z', now(), 'boom'),
             ('ls-h', 'ls.h', '{"a":1}', 'failed', 1, 1, '2026-01-02T03:04:05.678Z', now(), 'boom')`);
    const replay = await postJson(`${base}/api/jobs/${bigId}/replay`, { payload: { fixed: true } });
    assert.equal(replay.status, 200, replay.text);
    const bulk = await postJson(`${base}/api/jobs/replay`, { ids: [smallId] });
    assert.deepEqual(bulk.body, { affected: 1 });
    const events = await pool.query<{ job_id: string; detail: Record<string, unknown> }>(
      `SELECT job_id::text, detail FROM "${t.schema}".job_events WHERE job_id = ANY($1::bigint[]) ORDER BY job_id`,
      [[bigId, smallId]],
    );
    const [edited, bulkDetail] = events.rows.map((r) => r.detail);
    assert.equal(edited.payloadEdited, true);
    const kept = edited.previousPayload as { truncated: boolean; size: number; preview: string };
    assert.deepEqual([kept.truncated, kept.size, kept.preview.length], [true, JSON.stringify(big).length, 4_096]);
    for (const detail of [edited, bulkDetail]) {
      assert.equal(new Date(String(detail.previousRunAt)).toISOString(), '2026-01-02T03:04:05.678Z');
    }
    const timeline = (await get(`/api/jobs/${smallId}`)).body.timeline as Array<{
      event: string;
      detail: { runAt?: string };
    }>;
    assert.equal(timeline[0].event, 'enqueued');
    assert.equal(timeline[0].detail.runAt, '2026-01-02T03:04:05.678Z', 'the enqueued entry keeps the first run time');
  });
});
