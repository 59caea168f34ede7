import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobsAdminService, type JobListQuery } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, bulkLoadJobs } from './support/database';

/**
 * The job list on one million jobs: every filter combination the dashboard uses reads a bounded
 * part of the table through its indexes, never a scan of it. The bound is on buffers read (a plan
 * property, the same on a busy machine), not on wall time: the time of each case (best of 3) and its
 * EXPLAIN (ANALYZE, BUFFERS) are printed, and time budgets belong to `npm run bench`.
 */
const ROWS = 1_000_000;
/** Pages a case may read: about a tenth of the jobs table's heap (~25,000 pages here); the cases
 * read 10-2,700 today. A sequential scan, or a walk of a whole index, reads far more. */
const BOUND_BUFFERS = 4_000;
const SPAN_SECONDS = 30 * 24 * 3600; // created_at spread over 30 days, growing with id

describe('job list performance on 1,000,000 jobs', () => {
  const pool = assertionPool();
  let t: TestApp;
  let admin: JobsAdminService;
  let now: Date;

  before(async () => {
    t = await createTestApp([], { workers: false, allowUnknownTypes: true });
    admin = t.app.get(JobsAdminService);
    // Bulk load as an operator would restore it (see bulkLoadJobs).
    // g % 1000: 0 failed (0.1 %), 1-10 canceled, 11-20 running, 21-50 scheduled, 51-90 pending,
    // the rest completed. Queues q0-q9 and a rare queue; types t0-t19; user ids pseudo-random in
    // 0-999 plus a rare 424242; every tenth job has an idempotency key.
    const load = await bulkLoadJobs(
      pool,
      t.schema,
      `INSERT INTO "${t.schema}".jobs (queue, type, payload, state, priority, attempts, max_attempts, run_at, created_at,
         updated_at, started_at, finished_at, locked_by, locked_until, last_error, idempotency_key, idempotency_active)
       SELECT CASE WHEN g % 100000 = 7 THEN 'rare-queue' ELSE 'q' || (g % 10) END,
              't' || (g % 20),
              jsonb_build_object(
                'user_id', CASE WHEN g % 250000 = 17 THEN 424242 ELSE abs(hashint4(g)) % 1000 END,
                'customer', jsonb_build_object('tier', CASE WHEN g % 5000 = 3 THEN 'platinum' ELSE 'basic' END),
                'order', g, 'note', repeat('x', 40)),
              st, 0, CASE WHEN st IN ('pending', 'scheduled') THEN 0 ELSE 1 END, 5, at, at, at,
              CASE WHEN st IN ('completed', 'failed', 'running') THEN at END,
              CASE WHEN st IN ('completed', 'failed', 'canceled') THEN at + interval '1 second' END,
              CASE WHEN st = 'running' THEN 'perf-node' END,
              CASE WHEN st = 'running' THEN at + interval '30 seconds' END,
              CASE WHEN st = 'failed' THEN 'boom ' || g END,
              CASE WHEN g % 10 = 0 THEN 'key-' || g END, false
       FROM (SELECT g,
               now() - ($1::int - g) * ($2::float8 / $1::int) * interval '1 second' AS at,
               CASE WHEN g % 1000 = 0 THEN 'failed' WHEN g % 1000 <= 10 THEN 'canceled'
                    WHEN g % 1000 <= 20 THEN 'running' WHEN g % 1000 <= 50 THEN 'scheduled'
                    WHEN g % 1000 <= 90 THEN 'pending' ELSE 'completed' END AS st
             FROM generate_series(1, $1::int) g) x`,
      [ROWS, SPAN_SECONDS],
    );
    console.warn(
      `# loaded ${ROWS} jobs: insert ${load.insertMs} ms, ${load.indexes} indexes + vacuum analyze ${load.indexMs} ms`,
    );
    now = (await pool.query<{ now: Date }>('SELECT now()')).rows[0].now;
  });

  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  /** Best of three runs of `list(query)`, in ms, and the page it answered. */
  async function timeList(query: JobListQuery) {
    let best = Infinity;
    let page = await admin.list(query);
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      page = await admin.list(query);
      best = Math.min(best, performance.now() - start);
    }
    return { best, page };
  }

  async function explain(query: JobListQuery): Promise<string> {
    return admin.explainList(query);
  }

  const day = (daysAgo: number) => new Date(now.getTime() - daysAgo * 86_400_000).toISOString();

  /** The rows a page must have: the filter's matches counted by a plain scan, at most 50. */
  const truth = async (where: string): Promise<number> =>
    (await pool.query<{ n: number }>(`SELECT least(count(*), 50)::int AS n FROM "${t.schema}".jobs WHERE ${where}`))
      .rows[0].n;

  const cases: Array<{
    name: string;
    query: () => JobListQuery;
    expect: (n: number) => boolean | Promise<boolean>;
  }> = [
    { name: 'no filter', query: () => ({}), expect: (n) => n === 50 },
    { name: 'state=failed (0.1 %)', query: () => ({ state: 'failed' }), expect: (n) => n === 50 },
    { name: 'state=failed,canceled', query: () => ({ state: 'failed,canceled' }), expect: (n) => n === 50 },
    { name: 'queue=q3', query: () => ({ queue: 'q3' }), expect: (n) => n === 50 },
    { name: 'queue=rare-queue (10 jobs)', query: () => ({ queue: 'rare-queue' }), expect: (n) => n === 10 },
    { name: 'type=t7', query: () => ({ type: 't7' }), expect: (n) => n === 50 },
    { name: 'state=pending + queue=q3', query: () => ({ state: 'pending', queue: 'q3' }), expect: (n) => n === 50 },
    { name: 'state=failed + queue=q3', query: () => ({ state: 'failed', queue: 'q3' }), expect: (n) => n === 0 },
    { name: 'state=failed + type=t0', query: () => ({ state: 'failed', type: 't0' }), expect: (n) => n === 50 },
    { name: 'q=<id>', query: () => ({ q: '654321' }), expect: (n) => n === 1 },
    { name: 'q=<idempotency key>', query: () => ({ q: 'key-500000' }), expect: (n) => n === 1 },
    {
      name: 'q=payload.user_id:424242 (4 jobs)',
      query: () => ({ q: 'payload.user_id:424242' }),
      expect: (n) => n === 4,
    },
    {
      name: 'q=payload.customer.tier:"platinum" (200 jobs)',
      query: () => ({ q: 'payload.customer.tier:platinum' }),
      expect: (n) => n === 50,
    },
    {
      name: 'q=payload.customer.tier:basic (almost every job)',
      query: () => ({ q: 'payload.customer.tier:basic' }),
      expect: (n) => n === 50,
    },
    {
      name: 'q=payload.user_id:17 (~1,000 jobs)',
      query: () => ({ q: 'payload.user_id:17' }),
      expect: async (n) => n === (await truth(`(payload->>'user_id')::int = 17`)),
    },
    {
      name: 'q=payload.user_id:17 + state=completed',
      query: () => ({ q: 'payload.user_id:17', state: 'completed' }),
      expect: async (n) => n === (await truth(`(payload->>'user_id')::int = 17 AND state = 'completed'`)),
    },
    {
      name: 'q=payload.user_id:17 + state=failed',
      query: () => ({ q: 'payload.user_id:17', state: 'failed' }),
      expect: async (n) => n === (await truth(`(payload->>'user_id')::int = 17 AND state = 'failed'`)),
    },
    { name: 'from/to: one day, 10 days ago', query: () => ({ from: day(11), to: day(10) }), expect: (n) => n === 50 },
    {
      name: 'from/to one day + state=failed',
      query: () => ({ from: day(11), to: day(10), state: 'failed' }),
      expect: (n) => n >= 30 && n <= 36,
    },
    // Once the worst cases: a wide range far in the past, with hundreds of thousands of jobs both in
    // it and newer than it (now read as the range's band of ids, from its newest end).
    {
      name: 'from/to: one week, 20 days ago (233k in range; worst case)',
      query: () => ({ from: day(27), to: day(20) }),
      expect: (n) => n === 50,
    },
    {
      name: 'from/to: two weeks ending 15 days ago (466k in range; worst case)',
      query: () => ({ from: day(29), to: day(15) }),
      expect: (n) => n === 50,
    },
    { name: 'from: 20 days ago', query: () => ({ from: day(20) }), expect: (n) => n === 50 },
    { name: 'from: the last hour', query: () => ({ from: day(1 / 24) }), expect: (n) => n === 50 },
    { name: 'second page (cursor)', query: () => ({ cursor: '999951' }), expect: (n) => n === 50 },
    { name: 'deep page, state=failed', query: () => ({ state: 'failed', cursor: '500000' }), expect: (n) => n === 50 },
    {
      name: 'deep page, queue=q3 + from/to',
      query: () => ({ queue: 'q3', from: day(20), to: day(10), cursor: '500003' }),
      expect: (n) => n === 50,
    },
  ];

  for (const c of cases) {
    it(`${c.name}: at most ${BOUND_BUFFERS} buffers, no scan of the table`, async (tc) => {
      const query = c.query();
      const { best, page } = await timeList(query);
      tc.diagnostic(`${c.name}: best of 3 ${best.toFixed(1)} ms, ${page.items.length} rows`);
      tc.diagnostic(`query ${JSON.stringify(query)}`);
      const plan = await explain(query);
      for (const line of plan.split('\n')) tc.diagnostic(line);
      assert.ok(await c.expect(page.items.length), `unexpected row count ${page.items.length}`);
      assert.doesNotMatch(plan, /Seq Scan on jobs/, 'no sequential scan of the jobs table');
      const read = buffersRead(plan);
      assert.ok(read <= BOUND_BUFFERS, `${c.name} read ${read} buffers (bound ${BOUND_BUFFERS})`);
    });
  }

  it('pages chain without gaps: the cursor of page 1 starts page 2 right below it', async () => {
    const first = await admin.list({ state: 'failed', limit: 200 });
    assert.equal(first.items.length, 200);
    const second = await admin.list({ state: 'failed', limit: 200, cursor: first.nextCursor ?? undefined });
    assert.equal(BigInt(second.items[0].id), BigInt(first.items[199].id) - 1000n);
  });
});

/** Buffers the whole statement touched: the first `Buffers:` line of the plan (its top node's). */
function buffersRead(plan: string): number {
  const line = /Buffers: shared ([^\n]*)/.exec(plan);
  assert.ok(line, 'the plan reports its buffers');
  const count = (kind: string) => Number(new RegExp(`${kind}=(\\d+)`).exec(line[1])?.[1] ?? 0);
  return count('hit') + count('read');
}
