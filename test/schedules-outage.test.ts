import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { Cluster, type ServerNode } from './support/cluster';
import { uniqueSchema } from './support/database';
import { privatePostgres, type PrivatePostgres } from './support/private-postgres';
import { waitFor } from './support/wait';

// The scheduler of a real server process through a PostgreSQL restart (a private server that this
// test alone stops and starts): the process stays up, and every tick of the outage is accounted for.

describe('schedules through a PostgreSQL restart', () => {
  const schema = uniqueSchema('sched_outage');
  let db: PrivatePostgres | null = null;
  let pool: Pool | undefined;
  let cluster: Cluster | undefined;
  let node: ServerNode;
  let failed = false;

  before(async () => {
    db = await privatePostgres();
    if (!db) return;
    pool = new Pool({ connectionString: db.url, max: 3 });
    pool.on('error', () => undefined); // idle clients die when PostgreSQL stops
    cluster = new Cluster({
      name: 'schedules-outage',
      databaseUrl: db.url,
      schema,
      env: { JOBS_POLL_INTERVAL_MS: '100' },
    });
    node = await cluster.start();
  });
  after(async () => {
    await cluster?.dispose({ keepArtifacts: failed });
    await pool?.end().catch(() => undefined);
    await db?.dispose();
  });

  it('keeps the process up, retries, and fires every tick of the outage exactly once (missed: all)', async (t) => {
    if (!db || !pool) return t.skip('no restartable PostgreSQL on this machine');
    try {
      const res = await fetch(`${node.url}/api/schedules`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-requested-with': 'test' },
        body: JSON.stringify({ name: 'through', type: 'email', intervalMs: 1_000, missed: 'all', queue: 'ticks' }),
      });
      assert.equal(res.status, 201);
      const runs = async () =>
        (
          await pool!.query<{ occurrence: Date; outcome: string; job_id: string | null }>(
            `SELECT occurrence, outcome, job_id FROM "${schema}".schedule_runs WHERE schedule = 'through' ORDER BY occurrence`,
          )
        ).rows;
      await waitFor(async () => (await runs()).length >= 2, { message: 'ticking' });
      await db.stop();
      const stoppedAt = Date.now();
      await waitFor(() => Date.now() - stoppedAt >= 3_000, { message: '3 s of outage' });
      await db.start();
      const rows = await waitFor(
        async () => {
          const r = await runs().catch(() => []);
          const after = r.filter((x) => x.occurrence.getTime() > stoppedAt + 3_000 && x.outcome === 'enqueued');
          return after.length >= 2 ? r : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100, message: 'ticks after the restart' },
      );
      assert.ok(node.alive(), `the server process is still up:\n${node.tail()}`);
      for (let i = 1; i < rows.length; i++) {
        assert.equal(rows[i].occurrence.getTime() - rows[i - 1].occurrence.getTime(), 1_000, 'no tick lost');
      }
      assert.ok(
        rows.some((r) => r.outcome === 'catch_up'),
        'the outage was caught up',
      );
      assert.ok(rows.every((r) => r.job_id !== null));
      const jobs = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE queue = 'ticks'`);
      assert.equal(jobs.rows[0].n, rows.length, 'one job per tick');
      assert.match(node.log(), /Scheduler back after \d+ failed passes/);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});
