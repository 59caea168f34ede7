import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { JobSchedulesService } from 'nest-pg-jobs';
import { createTestApp, type TestApp } from './support/app';
import { Cluster } from './support/cluster';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

// Real worker processes (apps/server/dist/worker.js): every node stopped for 10 s and started
// again, and a node SIGKILLed in the middle of firing a tick.

interface RunRow {
  occurrence: Date;
  outcome: string;
  job_id: string | null;
}

describe('schedules across stops and crashes of every node', () => {
  const pool = assertionPool();
  const schema = uniqueSchema('sched_crash');
  let producer: TestApp;
  let schedules: JobSchedulesService;
  let cluster: Cluster;
  let failed = false;

  const runs = async (name: string): Promise<RunRow[]> =>
    (
      await pool.query<RunRow>(
        `SELECT occurrence, outcome, job_id FROM "${schema}".schedule_runs WHERE schedule = $1 ORDER BY occurrence`,
        [name],
      )
    ).rows;
  const track =
    (fn: () => Promise<void>): (() => Promise<void>) =>
    async () => {
      try {
        await fn();
      } catch (err) {
        failed = true;
        throw err;
      }
    };

  before(async () => {
    producer = await createTestApp([], { schema, workers: false, allowUnknownTypes: true });
    schedules = producer.app.get(JobSchedulesService);
    cluster = new Cluster({
      name: 'schedules-crash',
      databaseUrl: databaseUrl(),
      schema,
      env: { JOBS_POLL_INTERVAL_MS: '100' },
    });
  });
  after(async () => {
    await cluster?.dispose({ keepArtifacts: failed });
    await producer?.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it(
    'all nodes down for 10 s: skip runs none of the missed ticks, once runs one, all runs up to its cap',
    track(async () => {
      const policies = { 'miss-skip': 'skip', 'miss-once': 'once', 'miss-all': 'all' } as const;
      for (const [name, missed] of Object.entries(policies)) {
        // Queue 'ticks' has no worker: the jobs are only counted.
        await schedules.create({ name, type: 'simulate', intervalMs: 1_000, queue: 'ticks', missed, maxCatchUp: 3 });
      }
      const nodes = [cluster.spawn({}, 'worker'), cluster.spawn({}, 'worker')];
      await Promise.all(nodes.map((n) => n.ready()));
      for (const name of Object.keys(policies)) {
        await waitFor(async () => (await runs(name)).length >= 2, { message: `${name} ticking` });
      }
      const exits = await cluster.terminateAll();
      for (const [node, exit] of exits) assert.deepEqual([exit?.code, exit?.signal], [null, 'SIGTERM'], `${node} exit`);
      const stoppedAt = Date.now();
      const before = Object.fromEntries(
        await Promise.all(Object.keys(policies).map(async (n) => [n, await runs(n)] as const)),
      );
      const missedBefore = Object.fromEntries((await schedules.list()).map((s) => [s.name, s.missedTicks] as const));
      // Ten seconds with no node at all: nothing may fire.
      await waitFor(() => Date.now() - stoppedAt >= 10_000, { timeoutMs: 15_000, message: '10 s of downtime' });
      for (const name of Object.keys(policies)) assert.equal((await runs(name)).length, before[name].length);
      const restarted = [cluster.spawn({}, 'worker'), cluster.spawn({}, 'worker')];
      await Promise.all(restarted.map((n) => n.ready()));

      for (const [name, missed] of Object.entries(policies)) {
        const last = before[name][before[name].length - 1].occurrence.getTime();
        // The first claim after the restart writes the catch-up and the current tick together;
        // wait for one more tick after it so that it is complete.
        const rows = await waitFor(
          async () => {
            const all = (await runs(name)).filter((r) => r.occurrence.getTime() > last);
            return all.filter((r) => r.outcome === 'enqueued').length >= 2 ? all : undefined;
          },
          { timeoutMs: 15_000, message: `${name} ticking again` },
        );
        const current = rows.find((r) => r.outcome === 'enqueued')!;
        const outage = rows.filter((r) => r.occurrence.getTime() < current.occurrence.getTime());
        const gap = (current.occurrence.getTime() - last) / 1_000; // ticks from the last before the stop
        assert.ok(gap >= 10, `${name}: ${gap} ticks while down`);
        const missedNow = (await schedules.getOrFail(name)).missedTicks - missedBefore[name];
        const expected = missed === 'skip' ? 0 : missed === 'once' ? 1 : 3;
        console.warn(
          `# ${name}: ${gap} ticks since the last before the stop: ${outage.length} caught up, ${missedNow} missed, 1 current`,
        );
        assert.equal(outage.length, expected, `${name}: catch-up runs`);
        assert.ok(
          outage.every((r) => r.outcome === 'catch_up' && r.job_id !== null),
          `${name}: each catch-up has its job`,
        );
        // The newest missed ticks are the ones caught up, right before the current one.
        outage.forEach((r, i) =>
          assert.equal(r.occurrence.getTime(), current.occurrence.getTime() - (outage.length - i) * 1_000),
        );
        assert.equal(missedNow + outage.length + 1, gap, `${name}: every tick of the outage accounted for`);
      }
      const totals = await pool.query(
        `SELECT (SELECT count(*)::int FROM "${schema}".jobs WHERE queue = 'ticks') AS jobs,
                (SELECT count(DISTINCT job_id)::int FROM "${schema}".schedule_runs) AS ticks_with_jobs`,
      );
      assert.equal(totals.rows[0].jobs, totals.rows[0].ticks_with_jobs, 'one job per tick, none twice');
      for (const name of Object.keys(policies)) await schedules.pause(name);
      await cluster.terminateAll();
    }),
  );

  it(
    'a node SIGKILLed while firing a tick: the tick fires exactly once, by another node',
    track(async () => {
      await schedules.create({
        name: 'kill-me',
        type: 'simulate',
        intervalMs: 3_600_000,
        queue: 'kill',
        missed: 'skip',
      });
      // Its current hour's tick is due now (the current slot: it runs, once).
      await pool.query(
        `UPDATE "${schema}".schedules SET next_run_at = date_trunc('hour', now()) WHERE name = 'kill-me'`,
      );
      // Hold the jobs table so that the firing node stops inside its transaction: after the claim
      // (the schedule's row is locked), at the insert of the job.
      const holder = new Client({ connectionString: databaseUrl() });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`LOCK TABLE "${schema}".jobs IN SHARE MODE`);
        const victim = cluster.spawn({}, 'worker');
        await waitFor(
          async () => {
            const res = await pool.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity
               WHERE wait_event_type = 'Lock' AND query LIKE 'WITH d AS%' AND query LIKE $1`,
              [`%"${schema}".jobs%`],
            );
            return res.rows[0].n > 0;
          },
          { timeoutMs: 30_000, message: 'the node blocked at the insert of the tick' },
        );
        const locked = await pool.query(
          `SELECT name FROM "${schema}".schedules WHERE name = 'kill-me' FOR UPDATE SKIP LOCKED`,
        );
        assert.equal(locked.rows.length, 0, "the node holds the schedule's row: it is firing the tick");
        victim.kill('SIGKILL');
        await victim.waitForExit(10_000);
        assert.equal(victim.exit?.signal, 'SIGKILL');
      } finally {
        await holder.query('COMMIT').catch(() => undefined);
        await holder.end();
      }
      // The dead node's transaction never commits; another node fires the tick.
      const survivor = cluster.spawn({}, 'worker');
      await survivor.ready();
      const rows = await waitFor(
        async () => {
          const r = await runs('kill-me');
          return r.length > 0 ? r : undefined;
        },
        { timeoutMs: 20_000, message: 'the tick fired by the survivor' },
      );
      // Later passes of the survivor do not fire it again: a clock schedule proves they happened.
      await schedules.create({ name: 'clock', type: 'simulate', intervalMs: 1_000, queue: 'kill-clock' });
      await waitFor(async () => (await runs('clock')).length >= 3, { message: 'three more passes' });
      const after = await runs('kill-me');
      assert.deepEqual(after, rows);
      assert.equal(after.length, 1);
      assert.equal(after[0].outcome, 'enqueued');
      const jobs = await pool.query(`SELECT id FROM "${schema}".jobs WHERE queue = 'kill'`);
      assert.deepEqual(
        jobs.rows.map((r) => r.id),
        [after[0].job_id],
        'exactly one job, the one recorded',
      );
    }),
  );
});
