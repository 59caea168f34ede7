import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobsModule, JobsService } from 'nest-pg-jobs';
import { overlaps, runsOf, staleStarts, type Pause, type Run } from './support/attempt-timeline';
import { Cluster, type ServerNode } from './support/cluster';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { TcpProxy } from './support/tcp-proxy';
import { waitFor } from './support/wait';

/** Shortened from the 30 s so that a fault lasting several leases fits a CI run. */
const LEASE_MS = 3_000;
const CONCURRENCY = 4;
/** The partition and the freeze: more than two leases. */
const FAULT_MS = 8_000;

/**
 * Faults that are not crashes, each on 3 worker-only processes (apps/server/dist/worker.js), one of
 * them (the victim) talking to PostgreSQL through a TCP proxy: its session dropped 3 times
 * (pg_terminate_backend), a partition (the proxy holds every byte, sockets open), a freeze
 * (SIGSTOP/SIGCONT), 300 ms of round-trip latency, and jobs much longer than the lease. Each asserts
 * outcomes read back from the database and from the handlers' execution logs: no job lost, no two
 * runs of one job at once, no stale attempt started, no job started by the victim after its lease
 * ended, statistics equal to the jobs table, and no process exits by itself.
 */
describe('faults that are not crashes', () => {
  const pool = assertionPool();
  const target = new URL(databaseUrl());
  const cleanups: Array<() => Promise<void>> = [];

  after(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    await pool.end();
  });

  /** 3 worker-only nodes on a schema of their own; the first through a proxy. */
  async function cluster(concurrency = CONCURRENCY, nodes = 3) {
    const schema = uniqueSchema('faults');
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.up();
    const proxied = new URL(target.href);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const c = new Cluster({
      name: 'faults',
      databaseUrl: target.href,
      schema,
      env: { JOBS_LEASE_MS: String(LEASE_MS), JOBS_CONCURRENCY: String(concurrency) },
    });
    let failed = true;
    cleanups.push(async () => {
      await c.dispose({ keepArtifacts: failed });
      await proxy.down();
      await dropSchema(pool, schema);
    });
    // The first starts alone: it migrates the schema.
    const victim = await c.spawn({ DATABASE_URL: proxied.href }, 'worker').ready();
    const others = await Promise.all([...Array(nodes - 1)].map(() => c.spawn({}, 'worker').ready()));
    return { schema, proxy, c, victim, others, passed: () => (failed = false) };
  }

  async function enqueue(schema: string, durations: number[]): Promise<string[]> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        JobsModule.forRoot({ connection: { url: target.href }, schema, workers: false, allowUnknownTypes: true }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.init();
    try {
      const jobs = await app
        .get(JobsService)
        .enqueueMany(
          durations.map((durationMs, n) => ({ type: 'simulate', payload: { n, durationMs }, maxAttempts: 20 })),
        );
      return jobs.map((j) => j.id);
    } finally {
      await app.close();
    }
  }

  /** Runs of the victim under way now (started, not ended). */
  const running = (c: Cluster, node: ServerNode) =>
    runsOf(c.executions().events).filter((r) => r.pid === node.pid && r.end === Infinity);

  /** When the victim's handlers caught by the fault ended, and when the others started their jobs. */
  function report(t: TestContext, runs: Run[], victim: ServerNode, faultAt: number, fault: string): void {
    const caught = runs.filter((r) => r.pid === victim.pid && r.start < faultAt && r.end > faultAt);
    const ids = new Set(caught.map((r) => r.jobId));
    const takeovers = runs.filter((r) => ids.has(r.jobId) && r.pid !== victim.pid && r.start > faultAt);
    const ended = caught.filter((r) => r.ok === false).map((r) => r.end - faultAt);
    const started = takeovers.map((r) => r.start - faultAt);
    t.diagnostic(
      `${fault}: ${caught.length} handlers of the victim under way; aborted ${Math.min(...ended)}-${Math.max(...ended)} ms ` +
        `after the ${fault}; their jobs started elsewhere ${Math.min(...started)}-${Math.max(...started)} ms after it`,
    );
  }

  const history = async (schema: string) =>
    (
      await pool.query<{ job_id: string; attempt: number; outcome: string; node_id: string }>(
        `SELECT job_id::text, attempt, outcome, node_id FROM "${schema}".job_attempts ORDER BY id`,
      )
    ).rows;

  async function drained(schema: string, n: number): Promise<void> {
    await waitFor(
      async () => {
        const res = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schema}".jobs WHERE state = 'completed'`,
        );
        return res.rows[0].n === n;
      },
      { timeoutMs: 90_000, intervalMs: 100, message: `all ${n} jobs to complete` },
    );
  }

  /**
   * The invariants every fault keeps, checked once the jobs are done: every job completed (none
   * lost), no two runs of a job at once, no stale attempt started, no process exited by itself; then
   * every node is stopped with SIGTERM (each writes its last statistics) and the completions counted
   * by the statistics equal the completed jobs.
   */
  async function checkInvariants(
    t: TestContext,
    k: Awaited<ReturnType<typeof cluster>>,
    ids: string[],
    pauses: Pause[] = [],
  ): Promise<Run[]> {
    const { c, schema } = k;
    await drained(schema, ids.length);
    const { events, skipped } = c.executions();
    assert.equal(skipped, 0, 'every execution log line parses');
    const runs = runsOf(events);
    assert.deepEqual(overlaps(runs, pauses), [], 'no two runs of one job at once');
    assert.deepEqual(staleStarts(runs), [], 'no stale attempt started');
    assert.deepEqual(
      c.nodes.filter((n) => n.diedByItself()).map((n) => `${n.name}: ${JSON.stringify(n.exit)}\n${n.tail()}`),
      [],
      'no process exited by itself',
    );
    const states = await pool.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM "${schema}".jobs GROUP BY state`,
    );
    assert.deepEqual(Object.fromEntries(states.rows.map((r) => [r.state, r.n])), { completed: ids.length });
    const exits = await c.terminateAll();
    for (const [name, exit] of exits) assert.deepEqual([exit?.code, exit?.signal], [null, 'SIGTERM'], `${name} exit`);
    const stats = await pool.query<{ completed: number }>(
      `SELECT coalesce(sum(completed), 0)::int AS completed FROM "${schema}".queue_stats`,
    );
    assert.equal(stats.rows[0].completed, ids.length, 'statistics count each completion once');
    const lost = (await history(schema)).filter((h) => h.outcome === 'lost');
    t.diagnostic(`${runs.length} runs of ${ids.length} jobs; ${lost.length} attempts lost`);
    return runs;
  }

  it('a dropped session (x3) of a live node: it reconnects and keeps its jobs, none lost or run twice', async (t) => {
    const k = await cluster();
    const ids = await enqueue(
      k.schema,
      Array.from({ length: 36 }, () => 1_500),
    );
    for (let drop = 1; drop <= 3; drop++) {
      await waitFor(() => running(k.c, k.victim).length > 0, { message: 'the victim to run jobs' });
      const before = await pool.query<{ backend_pid: number }>(
        `SELECT backend_pid FROM "${k.schema}".nodes WHERE id = $1`,
        [k.victim.nodeId],
      );
      const pid = before.rows[0].backend_pid;
      const droppedAt = Date.now();
      await pool.query('SELECT pg_terminate_backend($1)', [pid]);
      // Back with a new session (the registry names its backend) before the next drop.
      await waitFor(
        async () => {
          const now = await pool.query<{ backend_pid: number }>(
            `SELECT backend_pid FROM "${k.schema}".nodes WHERE id = $1`,
            [k.victim.nodeId],
          );
          return now.rows[0] && now.rows[0].backend_pid !== pid;
        },
        { message: `the victim to register again after drop ${drop}`, intervalMs: 5 },
      );
      t.diagnostic(`drop ${drop}: registered again within ${Date.now() - droppedAt} ms`);
    }
    const runs = await checkInvariants(t, k, ids);
    assert.deepEqual(await history(k.schema), [], 'no attempt lost: the victim kept its jobs');
    assert.equal(runs.length, ids.length, 'each job ran once');
    k.passed();
  });

  it('a partition of one node: it aborts its handlers before the others take its jobs', async (t) => {
    const k = await cluster();
    const ids = await enqueue(
      k.schema,
      Array.from({ length: 24 }, () => 5_000),
    );
    await waitFor(() => running(k.c, k.victim).length > 0, { message: 'the victim to run jobs' });
    const partitionedAt = Date.now();
    k.proxy.partition();
    await sleep(FAULT_MS);
    const healedAt = Date.now();
    k.proxy.heal();
    const runs = await checkInvariants(t, k, ids);
    report(t, runs, k.victim, partitionedAt, 'partition');
    const late = runs.filter((r) => r.pid === k.victim.pid && r.start > partitionedAt + LEASE_MS && r.start < healedAt);
    assert.deepEqual(late, [], 'the victim started nothing after its lease ended');
    const victimRuns = runs.filter((r) => r.pid === k.victim.pid && r.start < partitionedAt && r.end > partitionedAt);
    assert.ok(victimRuns.length > 0, 'the partition caught handlers of the victim');
    assert.ok(
      victimRuns.every((r) => r.ok === false || r.end - partitionedAt < LEASE_MS),
      'the victim’s handlers under way were aborted (or had finished) before its lease ended',
    );
    k.passed();
  });

  it('a frozen node (SIGSTOP, SIGCONT): on resume it aborts what it ran and starts nothing stale', async (t) => {
    const k = await cluster();
    const ids = await enqueue(
      k.schema,
      Array.from({ length: 24 }, () => 5_000),
    );
    await waitFor(() => running(k.c, k.victim).length > 0, { message: 'the victim to run jobs' });
    const stoppedAt = k.victim.kill('SIGSTOP');
    await sleep(FAULT_MS);
    const resumedAt = k.victim.kill('SIGCONT');
    const runs = await checkInvariants(t, k, ids, [{ pid: k.victim.pid, from: stoppedAt, to: resumedAt }]);
    report(t, runs, k.victim, stoppedAt, 'SIGSTOP');
    const aborts = runs.filter((r) => r.pid === k.victim.pid && r.start < stoppedAt && r.end > resumedAt);
    t.diagnostic(`frozen handlers ended ${Math.max(...aborts.map((r) => r.end - resumedAt))} ms after SIGCONT at most`);
    const frozen = runs.filter((r) => r.pid === k.victim.pid && r.start < stoppedAt && r.end > resumedAt);
    assert.ok(frozen.length > 0, 'the freeze caught handlers of the victim');
    assert.deepEqual(
      frozen.filter((r) => r.ok !== false),
      [],
      'every handler frozen past its lease was aborted on resume',
    );
    k.passed();
  });

  it('300 ms of round-trip latency to one node: no job lost, none run twice at once', async (t) => {
    const k = await cluster();
    k.proxy.delay(150);
    const ids = await enqueue(
      k.schema,
      Array.from({ length: 36 }, (_, i) => 300 + ((i * 137) % 500)),
    );
    // On a loaded machine a renewal may answer too late for the 3 s lease and an attempt be given up
    // and retried: never a job lost, never two runs at once.
    const runs = await checkInvariants(t, k, ids);
    assert.ok(
      runs.some((r) => r.pid === k.victim.pid),
      'the slow node ran jobs too',
    );
    k.passed();
  });

  it('jobs longer than the lease run once each, spread over every free slot', async (t) => {
    const k = await cluster();
    const ids = await enqueue(
      k.schema,
      Array.from({ length: 3 * CONCURRENCY }, () => 3 * LEASE_MS),
    );
    const runs = await checkInvariants(t, k, ids);
    assert.deepEqual(await history(k.schema), [], 'no attempt lost: renewals kept every lease');
    assert.equal(runs.length, ids.length, 'each job ran once');
    // No node held a job it could not start: all of them ran at once, one per slot.
    const lastStart = Math.max(...runs.map((r) => r.start));
    const firstEnd = Math.min(...runs.map((r) => r.end));
    assert.ok(lastStart < firstEnd, 'every job started before any ended');
    k.passed();
  });

  it('two slow jobs on two nodes of concurrency 1 run side by side', async (t) => {
    const k = await cluster(1, 2);
    const ids = await enqueue(k.schema, [4_000, 4_000]);
    const runs = await checkInvariants(t, k, ids);
    assert.equal(new Set(runs.map((r) => r.pid)).size, 2, 'one job on each node');
    assert.ok(Math.max(...runs.map((r) => r.start)) < Math.min(...runs.map((r) => r.end)), 'they overlapped in time');
    k.passed();
  });
});
