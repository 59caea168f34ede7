import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { JobsModule, JobsService } from 'nest-pg-jobs';
import { overlaps, runsOf } from './support/attempt-timeline';
import { Cluster, percentile, type ServerNode } from './support/cluster';
import { uniqueSchema } from './support/database';
import { privatePostgres, type PrivatePostgres } from './support/private-postgres';
import { waitFor } from './support/wait';

const JOBS = 3_000;
const NODES = 3;
const CONCURRENCY = 8;
const JOB_MS = 100;
/** Long enough that a process with nothing keeping its event loop alive would have exited. */
const PG_DOWN_MS = 5_000;
/** The targets, measured from when PostgreSQL accepts connections again. */
const RERUN_BOUND_MS = 5_000;
const DRAIN_BOUND_MS = 20_000;

interface HistoryRow {
  job_id: string;
  attempt: number;
  outcome: string;
  node_id: string | null;
  error: string;
}

/** A producer-only application (no workers) that enqueues through the library. */
async function producer(url: string, schema: string): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      JobsModule.forRoot({ connection: { url }, schema, migrationsRun: true, workers: false, allowUnknownTypes: true }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  await app.init();
  return app;
}

/**
 * Worker-only processes (a Nest application context, no HTTP server: apps/server/dist/worker.js)
 * through a PostgreSQL restart, with one of them SIGKILLed while the database is down, so that only
 * the restart tells the others it is gone. The database is a private one (support/private-postgres):
 * the same PostgreSQL as the run's, which this test alone stops and starts.
 */
describe('worker-only processes through a PostgreSQL restart', () => {
  const schema = uniqueSchema('wrestart');
  let db: PrivatePostgres | null = null;
  let pool: Pool | undefined;
  let cluster: Cluster | undefined;
  let failed = false;

  before(async () => {
    db = await privatePostgres();
    if (!db) return;
    pool = new Pool({ connectionString: db.url, max: 3 });
    pool.on('error', () => undefined); // idle clients die when PostgreSQL stops
    cluster = new Cluster({
      name: 'worker-restart',
      databaseUrl: db.url,
      schema,
      env: { JOBS_CONCURRENCY: String(CONCURRENCY) },
    });
  });

  after(async () => {
    await cluster?.dispose({ keepArtifacts: failed });
    await pool?.end().catch(() => undefined);
    await db?.dispose();
  });

  it(
    'no process exits, none loses or completes a job twice, and the killed node’s jobs run again within 5 s',
    { timeout: 180_000 },
    async (t) => {
      if (!db) {
        t.skip('no restartable PostgreSQL: the binaries of the server at DATABASE_URL are not on this machine');
        return;
      }
      try {
        await scenario(t, db, pool!, cluster!);
      } catch (err) {
        failed = true;
        t.diagnostic(`artifacts kept in ${cluster?.dir}`);
        throw err;
      }
    },
  );

  async function scenario(t: TestContext, db: PrivatePostgres, q: Pool, c: Cluster): Promise<void> {
    t.diagnostic(`${db.describe}; ${NODES} worker-only nodes x ${CONCURRENCY}, ${JOBS} jobs of ${JOB_MS} ms`);
    const app = await producer(db.url, schema);
    try {
      const jobs = app.get(JobsService);
      const items = Array.from({ length: JOBS }, (_, n) => ({
        type: 'simulate',
        payload: { n, durationMs: JOB_MS },
        maxAttempts: 10,
      }));
      await Promise.all(Array.from({ length: NODES }, () => c.spawn({}, 'worker')).map((n) => n.ready()));
      for (let i = 0; i < items.length; i += 1_000) await jobs.enqueueMany(items.slice(i, i + 1_000));
    } finally {
      await app.close();
    }
    // Let work get going on every node, so that the outage catches handlers mid-run everywhere.
    await waitFor(() => c.executions().events.filter((e) => e.kind === 'end').length >= NODES * CONCURRENCY * 3, {
      timeoutMs: 20_000,
      message: 'every node to be working',
    });

    const stoppedAt = Date.now();
    await db.stop();
    // Killed while the database is down: its session ended with the server, so its lock says
    // nothing; only the restart rule of the liveness sweep can find it.
    const victim: ServerNode = c.live()[1];
    const killedAt = victim.kill('SIGKILL');
    await victim.waitForExit(5_000);
    await sleep(Math.max(0, stoppedAt + PG_DOWN_MS - Date.now()));
    const survivorsDuringOutage = c.live().length;
    await db.start();
    const upAt = Date.now();
    t.diagnostic(
      `PostgreSQL down ${upAt - stoppedAt} ms; ${victim.name} SIGKILLed ${killedAt - stoppedAt} ms into the outage`,
    );
    const replacement = c.spawn({}, 'worker');
    await replacement.ready(60_000);

    const open = async () =>
      (
        await q.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schema}".jobs WHERE state IN ('pending', 'scheduled', 'running')`,
        )
      ).rows[0].n;
    await waitFor(async () => (await open()) === 0, {
      timeoutMs: 90_000,
      intervalMs: 100,
      message: 'the backlog to drain',
    });
    const drainedAt = Date.now();

    // No process exited by itself, during the outage or after it.
    assert.equal(survivorsDuringOutage, NODES - 1, 'every node but the killed one lived through the outage');
    assert.deepEqual(
      c.nodes.filter((n) => n.diedByItself()).map((n) => `${n.name}: ${JSON.stringify(n.exit)}\n${n.tail()}`),
      [],
    );

    const states = await q.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM "${schema}".jobs GROUP BY state`,
    );
    assert.deepEqual(
      Object.fromEntries(states.rows.map((r) => [r.state, r.n])),
      { completed: JOBS },
      'every job completed, none lost',
    );

    const { events, skipped } = c.executions();
    assert.equal(skipped, 0, 'every execution log line parses');
    const history = (
      await q.query<HistoryRow>(
        `SELECT job_id::text, attempt, outcome, node_id, error FROM "${schema}".job_attempts ORDER BY id`,
      )
    ).rows;
    // Only the killed node lost jobs, but for attempts a live node gave up itself (a handler still
    // running ~0.75 s into the outage, aborted before anyone may take its job, then retried).
    const selfAborted = (h: HistoryRow) => h.outcome === 'lost' && /Lease not proven/.test(h.error);
    assert.deepEqual(
      history.filter((h) => !selfAborted(h) && (h.outcome !== 'lost' || h.node_id !== victim.nodeId)),
      [],
      'no history row but the killed node’s lost attempts and attempts given up by their own node',
    );
    const killedRuns = runsOf(events).map((r) =>
      r.end === Infinity && r.pid === victim.pid ? { ...r, end: killedAt } : r,
    );
    assert.deepEqual(overlaps(killedRuns), [], 'no two runs of one job at once');
    t.diagnostic(`attempts given up by their own live node: ${history.filter(selfAborted).length}`);
    // Completed twice: a handler that returned, and its job ran to the end again. Only the killed
    // node may have such runs (finished during the outage, unwritten when it was killed).
    const okEnds = new Map<string, Array<{ pid: number }>>();
    for (const e of events) if (e.kind === 'end' && e.ok) okEnds.set(e.jobId, [...(okEnds.get(e.jobId) ?? []), e]);
    let twice = 0;
    let twiceOnVictim = 0;
    for (const ends of okEnds.values()) {
      if (ends.length < 2) continue;
      if (ends.filter((e) => e.pid !== victim.pid).length > 1) twice += 1;
      else twiceOnVictim += 1;
    }
    assert.equal(okEnds.size, JOBS, 'every job ran to the end');
    assert.equal(twice, 0, 'no job completed twice on the nodes that lived');

    // The killed node's jobs ran again soon after PostgreSQL came back.
    const lost = history.filter((h) => h.outcome === 'lost' && !selfAborted(h));
    assert.ok(lost.length > 0, 'the kill interrupted some jobs');
    const rerunAfterUp: number[] = [];
    for (const row of lost) {
      const again = events.find((e) => e.kind === 'start' && e.jobId === row.job_id && e.attempt > row.attempt);
      assert.ok(again, `job ${row.job_id} ran again after its attempt ${row.attempt} was lost`);
      rerunAfterUp.push(again.at - upAt);
    }
    const rerunP100 = Math.max(...rerunAfterUp);
    t.diagnostic(
      `killed node: ${lost.length} jobs lost, run again ${percentile(rerunAfterUp, 50)}-${rerunP100} ms after ` +
        `PostgreSQL accepted connections; ${twiceOnVictim} had finished on it unrecorded (at least once)`,
    );
    t.diagnostic(`backlog drained ${drainedAt - upAt} ms after PostgreSQL accepted connections`);
    assert.ok(rerunP100 <= RERUN_BOUND_MS, `killed node's jobs ran again ${rerunP100} ms after the restart`);
    assert.ok(drainedAt - upAt <= DRAIN_BOUND_MS, `backlog drained ${drainedAt - upAt} ms after the restart`);

    // A signal still ends each worker-only process, cleanly: Nest's shutdown hooks run the module's
    // shutdown and then re-raise the signal, and each node takes itself out of the registry.
    const exits = await c.terminateAll();
    for (const [name, exit] of exits) assert.deepEqual([exit?.code, exit?.signal], [null, 'SIGTERM'], `${name} exit`);
    const registered = await q.query<{ id: string }>(`SELECT id FROM "${schema}".nodes`);
    assert.deepEqual(
      registered.rows.map((r) => r.id),
      [],
      'every node left the registry (the killed one was swept)',
    );
  }
});
