import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { JobSchedulesService } from 'nest-pg-jobs';
import { createTestApp, type TestApp } from './support/app';
import { Cluster, percentile } from './support/cluster';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

// Three real server processes on one schema, 1,000 schedules ticking every second: every tick must
// be inserted exactly once. The lag and the throughput beside it are printed; the lag's budget is
// checked only on request: JOBS_TEST_SCHEDULE_LAG_MS=250 JOBS_TEST_SCHEDULE_SECONDS=60
// node scripts/run-tests.mjs dist/schedules-cluster (the default window is 10 s).

const SCHEDULES = Number(process.env.JOBS_TEST_SCHEDULES ?? 1_000);
const SECONDS = Number(process.env.JOBS_TEST_SCHEDULE_SECONDS ?? 10);
const BURST = 2_000;

describe(`${SCHEDULES} schedules every second on 3 nodes for ${SECONDS} s`, () => {
  const pool = assertionPool();
  const schema = uniqueSchema('sched_load');
  let cluster: Cluster;
  let producer: TestApp;
  let failed = false;

  before(async () => {
    // The test's own producer (no workers, so no scheduler): it creates the schema and the work.
    producer = await createTestApp([], { schema, workers: false, allowUnknownTypes: true });
    cluster = new Cluster({
      name: 'schedules-load',
      databaseUrl: databaseUrl(),
      schema,
      env: { JOBS_POLL_INTERVAL_MS: '200', JOBS_CONCURRENCY: '20' },
    });
    await Promise.all([cluster.start(), cluster.start(), cluster.start()]);
  });
  after(async () => {
    await cluster?.dispose({ keepArtifacts: failed });
    await producer?.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  /** Jobs per second of a burst of `BURST` quick jobs, from the first enqueue to the last completion. */
  async function burstThroughput(tag: string): Promise<number> {
    const started = Date.now();
    for (let i = 0; i < BURST; i += 500) {
      await producer.jobs.enqueueMany(
        Array.from({ length: Math.min(500, BURST - i) }, () => ({ type: 'simulate', payload: { tag } })),
      );
    }
    await waitFor(
      async () => {
        const res = await pool.query(
          `SELECT count(*)::int AS n FROM "${schema}".jobs WHERE type = 'simulate' AND state = 'completed' AND payload->>'tag' = $1`,
          [tag],
        );
        return res.rows[0].n === BURST;
      },
      { timeoutMs: 60_000, intervalMs: 50, message: `the ${tag} burst to complete` },
    );
    return BURST / ((Date.now() - started) / 1000);
  }

  it('fires every tick exactly once, each with one job, the firing shared by the nodes', async () => {
    try {
      const idle = await burstThroughput('idle');
      const schedules = producer.app.get(JobSchedulesService);
      const names = Array.from({ length: SCHEDULES }, (_, i) => `load-${String(i).padStart(4, '0')}`);
      for (let i = 0; i < names.length; i += 50) {
        await Promise.all(
          names.slice(i, i + 50).map((name) =>
            // An unserved queue: the jobs are only inserted, so the figures are the scheduler's.
            schedules.create({ name, type: 'simulate', intervalMs: 1_000, queue: 'ticks', missed: 'all' }),
          ),
        );
      }
      // The window: whole seconds, starting once every schedule exists.
      const from = new Date(Math.ceil((Date.now() + 1_000) / 1_000) * 1_000);
      const to = new Date(from.getTime() + (SECONDS - 1) * 1_000);
      await waitFor(() => Date.now() >= from.getTime(), { timeoutMs: 5_000, message: 'the window to open' });
      const busy = await burstThroughput('busy');
      await waitFor(
        async () => {
          const res = await pool.query(`SELECT min(next_run_at) AS m FROM "${schema}".schedules`);
          return res.rows[0].m > to;
        },
        { timeoutMs: (SECONDS + 30) * 1_000, intervalMs: 200, message: 'every tick of the window to be fired' },
      );
      await pool.query(`UPDATE "${schema}".schedules SET paused = true`);

      const perSchedule = await pool.query<{ n: number; distinct_ticks: number; jobs: number }>(
        `SELECT s.name, count(r.occurrence)::int AS n, count(DISTINCT r.occurrence)::int AS distinct_ticks,
                count(DISTINCT r.job_id)::int AS jobs
         FROM "${schema}".schedules s LEFT JOIN "${schema}".schedule_runs r
           ON r.schedule = s.name AND r.occurrence BETWEEN $1 AND $2
         GROUP BY s.name`,
        [from, to],
      );
      const missing = perSchedule.rows.reduce((n, r) => n + (SECONDS - r.distinct_ticks), 0);
      const jobsOfTicks = perSchedule.rows.reduce((n, r) => n + r.jobs, 0);
      // Every job in the ticks queue belongs to exactly one recorded tick: no second job anywhere.
      const totals = await pool.query(
        `SELECT (SELECT count(*)::int FROM "${schema}".jobs WHERE queue = 'ticks') AS jobs,
                (SELECT count(*)::int FROM "${schema}".schedule_runs WHERE job_id IS NOT NULL) AS runs,
                (SELECT count(DISTINCT job_id)::int FROM "${schema}".schedule_runs) AS distinct_jobs`,
      );
      const lagRows = (
        await pool.query<{ ms: number; at: Date }>(
          `SELECT (extract(epoch FROM fired_at - occurrence) * 1000)::float8 AS ms, occurrence AS at
           FROM "${schema}".schedule_runs WHERE occurrence BETWEEN $1 AND $2`,
          [from, to],
        )
      ).rows;
      const lags = lagRows.map((r) => r.ms);
      // p99 per 10 s of the window: a lag that grows over time would show here.
      const buckets = new Map<number, number[]>();
      for (const r of lagRows) {
        const b = Math.floor((r.at.getTime() - from.getTime()) / 10_000);
        buckets.set(b, [...(buckets.get(b) ?? []), r.ms]);
      }
      const byNode = await pool.query(
        `SELECT count(*)::int AS n FROM "${schema}".nodes`, // all three registered and firing
      );
      const figures = {
        schedules: SCHEDULES,
        seconds: SECONDS,
        ticks: lags.length,
        missing,
        duplicates: totals.rows[0].jobs - totals.rows[0].distinct_jobs,
        lagP50Ms: Math.round(percentile(lags, 50)),
        lagP99Ms: Math.round(percentile(lags, 99)),
        lagMaxMs: Math.round(Math.max(...lags)),
        throughputIdle: Math.round(idle),
        throughputWithSchedules: Math.round(busy),
        lagP99Per10s: [...buckets.keys()].sort((a, b) => a - b).map((b) => Math.round(percentile(buckets.get(b)!, 99))),
        loadAverage1m: Number(loadavg()[0].toFixed(2)),
      };
      console.warn(`# schedules load: ${JSON.stringify(figures)}`);
      assert.equal(byNode.rows[0].n, 3);
      assert.equal(missing, 0, 'no tick missing');
      assert.equal(jobsOfTicks, SCHEDULES * SECONDS, 'one job per tick');
      assert.equal(totals.rows[0].jobs, totals.rows[0].runs, 'no job without its tick');
      assert.equal(totals.rows[0].runs, totals.rows[0].distinct_jobs, 'no tick with two jobs');
      // The lag is a time budget (target: p99 within 250 ms on a machine the test has to itself): it is
      // printed above and checked only when asked for (JOBS_TEST_SCHEDULE_LAG_MS=250), as in a
      // measurement run, never by default, where other work on the machine would decide it. What
      // the test always holds is what no load may change: every tick once, each with its one job.
      const lagBound = Number(process.env.JOBS_TEST_SCHEDULE_LAG_MS ?? 0);
      if (lagBound > 0)
        assert.ok(figures.lagP99Ms <= lagBound, `p99 lag ${figures.lagP99Ms} ms (bound ${lagBound} ms)`);
      // Each node fired some: the work is shared, with no leader.
      const metrics = await Promise.all(cluster.nodes.map(async (n) => (await fetch(`${n.url}/metrics`)).text()));
      for (const text of metrics) {
        const count = /^jobs_schedule_lag_seconds_count (\d+)/m.exec(text);
        assert.ok(count && Number(count[1]) > 0, 'every node fired ticks and reports their lag');
      }
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});
