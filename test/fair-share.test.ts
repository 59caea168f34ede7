import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { Cluster } from './support/cluster';
import { databaseUrl, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

const JOBS = 12_000;

/**
 * Two worker-only processes on one backlog of short jobs share it evenly: the prefetch that lets a
 * queue loop run fast jobs back to back is sized to a couple of claim round trips, so neither node
 * hoards the queue. Each node's share comes from its execution log (one line per run, written
 * before the handler returns), and the database confirms every job completed.
 */
describe('two nodes on one backlog', () => {
  const schema = uniqueSchema('fair');
  const pool = new Pool({ connectionString: databaseUrl(), max: 2 });
  const cluster = new Cluster({
    name: 'fair-share',
    databaseUrl: databaseUrl(),
    schema,
    env: { JOBS_CONCURRENCY: '8' },
  });

  before(async () => {
    // The first node creates the schema; the backlog goes in, its queue paused, before either
    // node works on it, so that neither starts ahead of the other.
    const first = await cluster.spawn({}, 'worker').ready();
    first.kill('SIGTERM');
    await first.waitForExit(15_000);
    await pool.query(`INSERT INTO "${schema}".queues (name, paused) VALUES ('default', true)`);
    await pool.query(
      `INSERT INTO "${schema}".jobs (queue, type, payload, max_attempts)
       SELECT 'default', 'simulate', jsonb_build_object('n', g, 'durationMs', 1), 5 FROM generate_series(1, $1::int) g`,
      [JOBS],
    );
  });
  after(async () => {
    await cluster.dispose({ keepArtifacts: false });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('the two shares differ by at most 10 % of the backlog', async (t) => {
    const [a, b] = await Promise.all([cluster.spawn({}, 'worker'), cluster.spawn({}, 'worker')].map((n) => n.ready()));
    // Both nodes are up: resume the queue and wake them at the same moment.
    await pool.query(`UPDATE "${schema}".queues SET paused = false WHERE name = 'default'`);
    await pool.query(`SELECT pg_notify($1, 'default')`, [`${schema}_wake`]);
    await waitFor(
      async () =>
        (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE state = 'completed'`))
          .rows[0].n === JOBS,
      { timeoutMs: 120_000, intervalMs: 200, message: 'the backlog to be worked off' },
    );
    const { events } = cluster.executions();
    const ran = (pid: number) =>
      new Set(events.filter((e) => e.kind === 'end' && e.pid === pid).map((e) => e.jobId)).size;
    const [ranA, ranB] = [ran(a.pid), ran(b.pid)];
    t.diagnostic(`node A ran ${ranA}, node B ran ${ranB} of ${JOBS}`);
    assert.equal(ranA + ranB, JOBS, 'every job ran on one node, once');
    assert.ok(Math.abs(ranA - ranB) <= JOBS * 0.1, `${ranA} and ${ranB} differ by more than 10 % of ${JOBS}`);
  });
});
