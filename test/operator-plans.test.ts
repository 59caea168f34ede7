import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { JobsAdminService, JobsOperatorsService, QueueStatisticsService, type JobListQuery } from 'nest-pg-jobs';
import type * as ChangeFeedSql from '../libs/jobs/src/storage/statements/change-feed.sql';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, bulkLoadJobs } from './support/database';
import { JOBS_STORAGE, schemaNames, type JobsStorage } from './support/internals';
import { explainPrune } from './support/plans';

const { changeFeedStatements } = createRequire(__filename)(
  join(__dirname, '../../libs/jobs/dist/storage/statements/change-feed.sql'),
) as typeof ChangeFeedSql;

/**
 * The operators' statements of issue 13 on 500,000 jobs (10 % failed, 5 % scheduled of which half
 * wait to retry): each plan reads one index range in order and stops at its LIMIT (no sequential
 * scan, no sort of the table), and answers in bounded time. Each case prints its
 * EXPLAIN (ANALYZE, BUFFERS).
 */
const ROWS = 500_000;

describe('operator statements on 500,000 jobs: bounded plans', () => {
  const pool = assertionPool();
  let t: TestApp;
  let admin: JobsAdminService;
  let operators: JobsOperatorsService;
  let storage: JobsStorage;

  before(async () => {
    t = await createTestApp([], { workers: false, allowUnknownTypes: true });
    admin = t.app.get(JobsAdminService);
    operators = t.app.get(JobsOperatorsService);
    storage = t.app.get<JobsStorage>(JOBS_STORAGE);
    // Left without statistics until the second half (as a bulk load or a restore leaves a table).
    await pool.query(`ALTER TABLE "${t.schema}".jobs SET (autovacuum_enabled = false)`);
    // g % 100: 0-9 failed (7 error kinds), 10-14 scheduled (even g: a retry, attempts 2), 15-19
    // pending, 20-21 canceled, the rest completed; created over 30 days, finished a second later.
    await bulkLoadJobs(
      pool,
      t.schema,
      `INSERT INTO "${t.schema}".jobs (queue, type, payload, state, attempts, max_attempts, run_at, created_at, updated_at,
         started_at, finished_at, last_error)
       SELECT 'q' || (g % 5), 't' || (g % 10), jsonb_build_object('n', g), st,
         CASE WHEN st = 'scheduled' AND g % 2 = 0 THEN 2 WHEN st = 'pending' OR st = 'scheduled' THEN 0 ELSE 1 END, 5,
         CASE WHEN st = 'scheduled' THEN now() + (abs(hashint4(g)) % 86400) * interval '1 second' ELSE at END, at, at,
         CASE WHEN st IN ('completed', 'failed') THEN at END,
         CASE WHEN st IN ('completed', 'failed', 'canceled') THEN at + interval '1 second' END,
         CASE WHEN st = 'failed' OR (st = 'scheduled' AND g % 2 = 0) THEN 'boom ' || (g % 7) || E'\\n  at handler' END
       FROM (SELECT g, now() - ($1::int - g) * (2592000.0 / $1::int) * interval '1 second' AS at,
               CASE WHEN g % 100 < 10 THEN 'failed' WHEN g % 100 < 15 THEN 'scheduled' WHEN g % 100 < 20 THEN 'pending'
                    WHEN g % 100 < 22 THEN 'canceled' ELSE 'completed' END AS st
             FROM generate_series(1, $1::int) g) x`,
      [ROWS],
      { analyze: false },
    );
  });

  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  /** The plan read one index range in order: no sequential scan, no sort of the table. */
  function assertBounded(plan: string, index: string, tc: { diagnostic(msg: string): void }): void {
    for (const line of plan.split('\n')) tc.diagnostic(line);
    assert.doesNotMatch(plan, /Seq Scan/, 'no sequential scan');
    assert.doesNotMatch(plan, /Bitmap Heap Scan/, 'no bitmap scan of every match');
    assert.doesNotMatch(plan, /Sort Method: external/, 'no sort spilling to disk');
    assert.match(plan, new RegExp(index), `reads ${index}`);
  }

  async function best<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
    let result = await work();
    let ms = Infinity;
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      result = await work();
      ms = Math.min(ms, performance.now() - start);
    }
    return { ms, result };
  }

  /** A plan that reads whole parts of the table row by row shows as a filter that removed many rows. */
  function assertNoLongWalk(plan: string): void {
    for (const m of plan.matchAll(/Rows Removed by Filter: (\d+)/g)) {
      assert.ok(Number(m[1]) < 10_000, `a walk filtered out ${m[1]} rows`);
    }
  }

  describe('before any ANALYZE (no planner statistics)', () => {
    before(async () => {
      const res = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = $1 AND tablename = 'jobs'`,
        [t.schema],
      );
      assert.equal(res.rows[0].n, 0, 'the table has no statistics yet');
    });

    const shapes: Array<{ name: string; query: JobListQuery; index: RegExp; rows: number }> = [
      { name: 'unfiltered', query: {}, index: /jobs_pkey[\s\S]*jobs_running_idx/, rows: 50 },
      { name: 'state=running', query: { state: 'running' }, index: /jobs_running_idx/, rows: 0 },
      { name: 'queue=q1 state=completed', query: { queue: 'q1', state: 'completed' }, index: /_list_idx/, rows: 50 },
      { name: 'queue=q2 state=pending', query: { queue: 'q2', state: 'pending' }, index: /jobs_/, rows: 50 },
      {
        name: 'state=completed sort=finishedAt',
        query: { state: 'completed', sort: 'finishedAt' },
        index: /Index Scan Backward using jobs_finished_list_idx/,
        rows: 50,
      },
      {
        name: 'queue=q3 state=failed,canceled sort=finishedAt asc',
        query: { queue: 'q3', state: 'failed,canceled', sort: 'finishedAt', order: 'asc' },
        index: /Index Scan using jobs_finished_list_idx/,
        rows: 50,
      },
      { name: 'type=t4 state=failed', query: { type: 't4', state: 'failed' }, index: /jobs_/, rows: 50 },
    ];
    for (const c of shapes) {
      it(`list ${c.name}: index ranges in order, as on an analyzed table`, async (tc) => {
        const result = await admin.list(c.query);
        assert.equal(result.items.length, c.rows);
        const plan = await admin.explainList(c.query);
        for (const line of plan.split('\n')) tc.diagnostic(line);
        assert.doesNotMatch(plan, /Seq Scan|Bitmap Heap Scan/, 'no sequential or bitmap scan');
        for (const [, key] of plan.matchAll(/\bSort {2}\(cost.*\n.*Sort Key: (.*)/g)) {
          assert.match(key, /id \+ 0|"\*SELECT\* 2"\.id/, `no sort but the running jobs': ${key}`);
        }
        assert.match(plan, c.index);
        assertNoLongWalk(plan);
      });
    }

    it('time ranges (a week 20 days back, the oldest two weeks): the SQL truth, read as one primary-key range', async (tc) => {
      const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
      for (const [from, to] of [
        [ago(27), ago(20)],
        [ago(31), ago(16)],
      ]) {
        const query = { from, to, state: 'completed,failed' };
        const page = await admin.list(query);
        const truth = await pool.query<{ id: string }>(
          `SELECT j.id::text AS id FROM "${t.schema}".jobs j WHERE j.created_at >= $1 AND j.created_at < $2
             AND j.state IN ('completed', 'failed') ORDER BY j.id DESC LIMIT 50`,
          [from, to],
        );
        assert.equal(page.items.length, 50);
        assert.deepEqual(
          page.items.map((j) => j.id),
          truth.rows.map((r) => r.id),
        );
        const plan = await admin.explainList(query);
        assertBounded(plan, 'Index Scan Backward using (jobs_pkey|jobs_state_list_idx)', tc);
        assert.match(plan, /Index Cond: .*id >= /, 'the walk starts and ends at the range');
        assertNoLongWalk(plan);
      }
    });

    it('dead-letter groups: the failed-jobs index, newest first', async (tc) => {
      const groups = await operators.deadLetterGroups({}, 200_000);
      assert.equal(groups.total, ROWS / 10);
      const plan = await storage.operators.explain('deadLetterGroups', [null, null, 200_000, 100]);
      assertBounded(plan, 'Index Scan Backward using jobs_failed_idx', tc);
      assertNoLongWalk(plan);
    });

    it('clean: a batch of the oldest finished jobs through the finished-jobs index, not every job of the state', async (tc) => {
      const plan = await storage.operators.explain('clean', ['completed', 29 * 86_400_000, null, 1_000]);
      assertBounded(plan, 'Index Scan using jobs_finished_list_idx', tc);
      assert.match(plan, /Limit .*\(actual time=\S+ rows=1000 /);
      assertNoLongWalk(plan);
    });

    it('queue counts: each unfinished state through its own index, up to the cap; the rest sampled', async (tc) => {
      const live = await storage.stats.explain('countLiveBounded');
      assertBounded(live, 'jobs_running_idx', tc);
      assert.match(live, /Index (Only )?Scan using (jobs_ready_idx|jobs_state_list_idx)/);
      assert.match(live, /Index (Only )?Scan using (jobs_scheduled_idx|jobs_state_list_idx)/);
      assert.match(live, /Limit .*\(actual time=\S+ rows=1000 /, 'a state past the cap stops there');
      const oldest = await storage.stats.explain('oldestPending');
      assertBounded(oldest, 'jobs_ready_idx', tc);
      assertNoLongWalk(oldest);
      assert.doesNotMatch(
        oldest,
        /actual time=\S+ rows=[1-9]\d{3,} /,
        'a few index entries per queue, not every pending job',
      );
      const stats = t.app.get(QueueStatisticsService);
      await stats.refresh();
      const q2 = (await stats.queues()).find((q) => q.name === 'q2')!;
      tc.diagnostic(JSON.stringify(q2));
      assert.deepEqual(q2.estimatedStates, ['pending', 'scheduled', 'completed', 'failed', 'canceled']);
      assert.equal(q2.counts.running, 0);
      const near = (n: number, expected: number) => Math.abs(n - expected) <= expected * 0.15;
      assert.ok(near(q2.counts.pending, ROWS / 100), `pending ~${ROWS / 100}: ${q2.counts.pending}`);
      assert.ok(q2.oldestPendingAgeMs! > 29 * 86_400_000, 'the oldest pending job waits since the load began');
    });
  });

  describe('after VACUUM (ANALYZE)', () => {
    before(async () => {
      await pool.query(`ALTER TABLE "${t.schema}".jobs RESET (autovacuum_enabled)`);
      await pool.query(`VACUUM (ANALYZE) "${t.schema}".jobs`);
    });

    const lists: Array<{ name: string; query: () => Promise<JobListQuery>; index: string; rows: number }> = [
      {
        name: 'retrying=true (soonest first)',
        query: async () => ({ retrying: true }),
        index: 'jobs_scheduled_idx',
        rows: 50,
      },
      {
        name: 'state=scheduled sort=runAt, third page',
        query: async () => {
          let cursor: string | undefined;
          for (let i = 0; i < 2; i++)
            cursor = (await admin.list({ state: 'scheduled', sort: 'runAt', cursor })).nextCursor!;
          return { state: 'scheduled', sort: 'runAt', cursor };
        },
        index: 'jobs_scheduled_idx',
        rows: 50,
      },
      {
        name: 'state=completed sort=finishedAt (newest first)',
        query: async () => ({ state: 'completed', sort: 'finishedAt' }),
        index: 'jobs_finished_list_idx',
        rows: 50,
      },
      {
        name: 'state=failed,canceled sort=finishedAt asc, second page',
        query: async () => {
          const first = await admin.list({ state: 'failed,canceled', sort: 'finishedAt', order: 'asc' });
          return { state: 'failed,canceled', sort: 'finishedAt', order: 'asc', cursor: first.nextCursor! };
        },
        index: 'jobs_finished_list_idx',
        rows: 50,
      },
      {
        name: 'state=failed errorGroup="boom 3"',
        query: async () => ({ state: 'failed', errorGroup: 'boom 3' }),
        // The default order's id walk (newest first), as without sort: it stops once the page is full.
        index: 'jobs_failed_idx|jobs_pkey|jobs_state_list_idx',
        rows: 50,
      },
    ];

    for (const c of lists) {
      it(`list ${c.name}: one index range, under 100 ms`, async (tc) => {
        const query = await c.query();
        const { ms, result } = await best(() => admin.list(query));
        tc.diagnostic(`${c.name}: best of 3 ${ms.toFixed(1)} ms`);
        assert.equal(result.items.length, c.rows);
        assertBounded(await admin.explainList(query), c.index, tc);
        assert.ok(ms < 100, `${c.name} took ${ms.toFixed(1)} ms`);
      });
    }

    it('dead-letter groups over 50,000 failed jobs: the failed-jobs index only, newest first, capped', async (tc) => {
      const { ms, result } = await best(() => operators.deadLetterGroups({}, 200_000));
      tc.diagnostic(`groups: best of 3 ${ms.toFixed(1)} ms, ${result.items.length} groups over ${result.total}`);
      assert.equal(result.total, ROWS / 10);
      assert.equal(result.items.length, 70, '5 queues x 10 types x 7 errors, each pair (queue, type) with 7');
      assert.equal(
        result.items.reduce((n, g) => n + g.count, 0),
        ROWS / 10,
      );
      assert.equal(result.estimated, false);
      const plan = await storage.operators.explain('deadLetterGroups', [null, null, 200_000, 100]);
      assertBounded(plan, 'Index Scan Backward using jobs_failed_idx', tc);
      assert.doesNotMatch(plan, /Rows Removed by Filter/, 'reads failed jobs only');
      assert.match(plan, /Limit/);
      const capped = await best(() => operators.deadLetterGroups({}, 10_000));
      tc.diagnostic(`groups capped at 10,000: best of 3 ${capped.ms.toFixed(1)} ms`);
      assert.deepEqual([capped.result.scanned, capped.result.estimated], [10_000, true]);
      assert.ok(ms < 1_000, `groups took ${ms.toFixed(1)} ms`);
      assert.ok(capped.ms < 200, `capped groups took ${capped.ms.toFixed(1)} ms`);
    });

    it('clean and the change feed read the finished-jobs index range they need', async (tc) => {
      const clean = await storage.operators.explain('clean', ['completed', 20 * 86_400_000, null, 1_000]);
      assertBounded(clean, 'jobs_finished_list_idx', tc);
      const feed = changeFeedStatements(schemaNames(t.schema));
      const res = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${feed.finishedSince.text}`, [
        new Date(Date.now() - 2_000).toISOString(),
        '0',
        5_000,
      ]);
      assertBounded(res.rows.map((r) => r['QUERY PLAN']).join('\n'), 'jobs_finished_list_idx', tc);
    });

    it('the retention prune reads only the finished jobs past their keep-time', async (tc) => {
      // Completed jobs finished over the last 30 days: with a keep-time of 40 days none is due, and a
      // round must not read its way through the 390,000 of them to find that out.
      const none = await explainPrune(pool, t.schema, 40 * 86_400_000);
      assertBounded(none, 'jobs_finished_list_idx', tc);
      const buffers = Number(/Buffers: shared hit=(\d+)/.exec(none)?.[1] ?? 0);
      assert.ok(buffers < 100, `a round with nothing due read ${buffers} buffers`);
      assert.match(none, /Index Scan using jobs_finished_list_idx .*\(actual time=\S+ rows=0 /);
      const due = await explainPrune(pool, t.schema, 29 * 86_400_000); // the oldest day is due: a batch of 1,000
      assertBounded(due, 'jobs_finished_list_idx', tc);
      assert.match(due, /Limit .*\(actual time=\S+ rows=1000 /);
    });

    it('queue counts on a large table: unfinished counted up to the cap, the rest estimated from a sample, and said so', async (tc) => {
      const stats = t.app.get(QueueStatisticsService);
      await stats.refresh();
      const q1 = (await stats.queues()).find((q) => q.name === 'q1')!;
      tc.diagnostic(`counts: ${JSON.stringify(q1.counts)}`);
      assert.equal(q1.countsEstimated, true);
      // 25,000 pending and 25,000 scheduled jobs: both past the cap of 1,000, so estimated; none runs.
      assert.deepEqual(q1.estimatedStates, ['pending', 'scheduled', 'completed', 'failed', 'canceled']);
      assert.equal(q1.counts.running, 0);
      // g % 5 = 1: per 100 jobs, 2 of the 10 failed, 1 of 5 scheduled, 1 of 5 pending, 15.6 completed.
      const near = (n: number, expected: number) => Math.abs(n - expected) <= expected * 0.15;
      assert.ok(near(q1.counts.pending, ROWS / 100), `pending ~${ROWS / 100}: ${q1.counts.pending}`);
      assert.ok(near(q1.counts.scheduled, ROWS / 100), `scheduled ~${ROWS / 100}: ${q1.counts.scheduled}`);
      assert.ok(near(q1.counts.failed, ROWS / 50), `failed ~${ROWS / 50}: ${q1.counts.failed}`);
      assert.ok(
        near(q1.counts.completed, (ROWS * 0.78) / 5),
        `completed ~${(ROWS * 0.78) / 5}: ${q1.counts.completed}`,
      );
    });
  });
});
