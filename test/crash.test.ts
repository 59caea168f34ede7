import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { LATEST_SCHEMA_VERSION } from 'nest-pg-jobs';
import { Cluster, type ClusterOptions, type ExecutionEvent, type ServerNode } from './support/cluster';
import { assertionPool, attemptHistory, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

/**
 * Crashes of real server processes (`node apps/server/dist/main.js`) on the tests' database:
 * a frozen node, a killed node, nodes migrating at once, and a SIGTERM with jobs in flight.
 * Each test has its own schema and cluster; every process is killed at the end, even on failure.
 * The processes' output is kept in test/artifacts/ when a test fails.
 */
describe('crashes of server processes', () => {
  const pool = assertionPool();
  const clusters: Cluster[] = [];
  let failed = false;

  const cluster = (env: Record<string, string> = {}): Cluster => {
    const options: ClusterOptions = { name: 'crash', databaseUrl: databaseUrl(), schema: uniqueSchema('crash'), env };
    const c = new Cluster(options);
    clusters.push(c);
    return c;
  };
  /** Marks the file failed (artifacts kept) when the test body throws. */
  const guarded =
    (body: (t: TestContext) => Promise<void>) =>
    async (t: TestContext): Promise<void> => {
      try {
        await body(t);
      } catch (err) {
        failed = true;
        throw err;
      }
    };
  const job = async (schema: string, id: string) =>
    (
      await pool.query<{ state: string; attempts: number; locked_by: string | null }>(
        `SELECT state, attempts, locked_by FROM "${schema}".jobs WHERE id = $1`,
        [id],
      )
    ).rows[0];
  const history = (schema: string, id: string) => attemptHistory(pool, schema, id);
  const events = (c: Cluster, filter: Partial<ExecutionEvent>): ExecutionEvent[] =>
    c.executions().events.filter((e) => Object.entries(filter).every(([k, v]) => e[k as keyof ExecutionEvent] === v));
  const waitForStart = (c: Cluster, jobId: string, node: ServerNode, attempt: number, timeoutMs = 10_000) =>
    waitFor(() => events(c, { kind: 'start', jobId, pid: node.pid, attempt })[0], {
      timeoutMs,
      message: `job ${jobId} attempt ${attempt} to start on ${node.name}`,
    });

  /** Starts two nodes at once; returns them once both are ready. */
  const pair = async (c: Cluster): Promise<[ServerNode, ServerNode]> => {
    const [x, y] = await Promise.all([c.spawn(), c.spawn()].map((n) => n.ready()));
    return [x, y];
  };
  /** Waits for attempt 1 of every job to start; groups the jobs by the node that runs them, busiest first. */
  const owners = async (c: Cluster, nodes: ServerNode[], ids: string[]) => {
    const starts = await Promise.all(
      ids.map((jobId) =>
        waitFor(() => events(c, { kind: 'start', jobId, attempt: 1 })[0], { message: `job ${jobId} to start` }),
      ),
    );
    return nodes
      .map((node) => ({ node, ids: ids.filter((_, i) => starts[i].pid === node.pid) }))
      .sort((x, y) => y.ids.length - x.ids.length);
  };

  after(async () => {
    for (const c of clusters) {
      await c.dispose({ keepArtifacts: failed });
      await dropSchema(pool, c.options.schema).catch(() => undefined);
    }
    await pool.end();
  });

  it(
    'a frozen node loses its job when its lease expires; its late completion is refused and it keeps working',
    { timeout: 60_000 },
    guarded(async (t) => {
      const c = cluster({ JOBS_LEASE_MS: '1500', JOBS_POLL_INTERVAL_MS: '200', JOBS_CONCURRENCY: '2' });
      const schema = c.options.schema;
      const nodes = await pair(c);
      const id = await nodes[0].enqueue('simulate', { durationMs: 4_000 });
      // A runs the job, B is idle.
      const [{ node: a }, { node: b }] = await owners(c, nodes, [id]);

      const stoppedAt = a.kill('SIGSTOP');
      const takeover = await waitForStart(c, id, b, 2, 10_000);
      t.diagnostic(`B started attempt 2 ${takeover.at - stoppedAt} ms after A was frozen (lease 1500 ms)`);
      t.diagnostic(`A's attempt recorded as lost: "${(await history(schema, id))[0]?.error}"`);
      // A's last heartbeat came at most a third of the lease (plus some delay) before the SIGSTOP.
      assert.ok(takeover.at - stoppedAt >= 500, 'not before the lease could have expired');
      assert.ok(takeover.at - stoppedAt < 5_000, `taken over ${takeover.at - stoppedAt} ms after SIGSTOP`);
      const lost = await history(schema, id);
      assert.deepEqual(
        lost.map((h) => [h.attempt, h.outcome, h.node_id]),
        [[1, 'lost', a.nodeId]],
      );

      // A wakes up while B runs the job: its handler (overdue) returns or is aborted; either way
      // nothing it writes may touch B's attempt.
      a.kill('SIGCONT');
      const aEnd = await waitFor(() => events(c, { kind: 'end', jobId: id, pid: a.pid })[0], {
        message: "A's handler to end after SIGCONT",
      });
      t.diagnostic(`A's late handler ended ${aEnd.ok ? 'ok (its completion must be refused)' : 'aborted'}`);
      const during = await job(schema, id);
      if (during.state === 'running') assert.deepEqual([during.attempts, during.locked_by], [2, b.nodeId]);

      await waitFor(async () => (await job(schema, id)).state === 'completed', {
        message: 'B to complete the job',
      });
      assert.deepEqual(await job(schema, id), { state: 'completed', attempts: 2, locked_by: null });
      assert.deepEqual(
        (await history(schema, id)).map((h) => [h.attempt, h.outcome, h.node_id]),
        [[1, 'lost', a.nodeId]],
        'no other attempt recorded: A wrote nothing',
      );
      const oks = events(c, { kind: 'end', jobId: id, ok: true });
      assert.ok(
        oks.some((e) => e.pid === b.pid && e.attempt === 2),
        'B ran attempt 2 to the end',
      );

      // A keeps working: with B gone, A alone runs new jobs.
      b.kill('SIGTERM');
      const bExit = await b.waitForExit(15_000);
      assert.deepEqual([bExit?.code, bExit?.signal], [0, null], b.tail());
      assert.equal(await a.health(), 200);
      const more = await Promise.all([1, 2, 3, 4].map(() => a.enqueue('simulate', { durationMs: 20 })));
      for (const m of more) {
        await waitFor(async () => (await job(schema, m)).state === 'completed', {
          message: `A to complete job ${m}`,
        });
        assert.ok(events(c, { kind: 'end', jobId: m, pid: a.pid, ok: true }).length === 1);
      }
      assert.ok(a.alive());
    }),
  );

  it(
    'the running jobs of a SIGKILLed node start again on the other node quickly',
    { timeout: 90_000 },
    guarded(async (t) => {
      // The default lease (30 s): a quick restart can only come from session liveness.
      const c = cluster({ JOBS_CONCURRENCY: '4' });
      const schema = c.options.schema;
      const nodes = await pair(c);
      const all = await Promise.all([1, 2, 3, 4].map(() => nodes[0].enqueue('simulate', { durationMs: 3_000 })));
      // A runs most (or all) of the jobs; B has a free slot for each of A's.
      const [{ node: a, ids }, { node: b }] = await owners(c, nodes, all);
      t.diagnostic(`killing the node running ${ids.length} of the ${all.length} jobs`);

      const killedAt = a.kill('SIGKILL');
      await a.waitForExit(5_000);
      // Waits past the lease, so that a slow recovery still gives a figure to report.
      const restarts = await Promise.all(ids.map((id) => waitForStart(c, id, b, 2, 45_000)));
      const delays = restarts.map((r) => r.at - killedAt);
      t.diagnostic(`jobs restarted on the other node ${delays.join(', ')} ms after the SIGKILL`);
      for (const id of ids) {
        await waitFor(async () => (await job(schema, id)).state === 'completed', {
          message: `job ${id} to complete`,
        });
        assert.deepEqual(await job(schema, id), { state: 'completed', attempts: 2, locked_by: null });
        assert.deepEqual(
          (await history(schema, id)).map((h) => [h.attempt, h.outcome, h.node_id]),
          [[1, 'lost', a.nodeId]],
        );
      }
      // Session liveness declares the node dead once its lock has stayed free 900 ms after a sweep saw
      // it free (sweeps every 250 ms): ~1.1-1.4 s on a quiet machine (issue 20's bound: 1.5 s), long
      // before the 30 s lease would. The bound here leaves room for a loaded machine.
      const worst = Math.max(...delays);
      assert.ok(worst < 3_000, `restarted ${worst} ms after the SIGKILL`);
    }),
  );

  it(
    'two nodes starting at once on a fresh schema migrate it once',
    { timeout: 60_000 },
    guarded(async () => {
      const c = cluster();
      const schema = c.options.schema;
      const nodes = [c.spawn(), c.spawn()];
      await Promise.all(nodes.map((n) => n.ready()));
      for (const n of nodes) assert.equal(await n.health(), 200);
      const versions = await pool.query<{ version: number; n: number }>(
        `SELECT version, count(*)::int AS n FROM "${schema}".schema_migrations GROUP BY version ORDER BY version`,
      );
      assert.deepEqual(
        versions.rows,
        Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => ({ version: i + 1, n: 1 })),
      );
      // Both work: each runs jobs.
      const ids = await Promise.all(nodes.map((n) => n.enqueue('simulate', {})));
      for (const id of ids)
        await waitFor(async () => (await job(schema, id)).state === 'completed', {
          message: `job ${id} to complete`,
        });
      assert.ok(nodes.every((n) => n.alive()));
    }),
  );

  it(
    'SIGTERM with jobs in flight: exit 0, jobs handed back uncounted and picked up by the other node',
    { timeout: 60_000 },
    guarded(async (t) => {
      const pollIntervalMs = 1_000;
      const graceMs = 300;
      const c = cluster({
        JOBS_SHUTDOWN_GRACE_MS: String(graceMs),
        JOBS_POLL_INTERVAL_MS: String(pollIntervalMs),
        JOBS_CONCURRENCY: '4',
      });
      const schema = c.options.schema;
      const nodes = await pair(c);
      const all = await Promise.all([1, 2, 3, 4].map(() => nodes[0].enqueue('simulate', { durationMs: 5_000 })));
      const [{ node: a, ids }, { node: b }] = await owners(c, nodes, all);
      t.diagnostic(`stopping the node running ${ids.length} of the ${all.length} jobs`);

      const termAt = a.kill('SIGTERM');
      const exit = await a.waitForExit(15_000);
      assert.ok(exit, `A exited after SIGTERM:\n${a.tail()}`);
      assert.deepEqual([exit.code, exit.signal], [0, null], a.tail());
      t.diagnostic(`A exited ${exit.at - termAt} ms after SIGTERM (grace ${graceMs} ms)`);

      // The hand-back keeps the attempt number: B starts the jobs as attempt 1 again.
      const pickups = await Promise.all(ids.map((id) => waitForStart(c, id, b, 1, 10_000)));
      const sinceTerm = pickups.map((p) => p.at - termAt);
      const sinceExit = pickups.map((p) => p.at - exit.at);
      t.diagnostic(
        `picked up by B ${sinceTerm.join(', ')} ms after SIGTERM (${sinceExit.join(', ')} ms after A's exit)`,
      );
      for (const id of ids) {
        const aRun = events(c, { jobId: id, pid: a.pid });
        assert.deepEqual(
          aRun.map((e) => [e.kind, e.attempt, e.ok]),
          [
            ['start', 1, undefined],
            ['end', 1, false],
          ],
          "A's handler was aborted at the hand-back",
        );
        assert.ok(aRun[1].at - termAt < graceMs + 1_000, `aborted ${aRun[1].at - termAt} ms after SIGTERM`);
      }
      // Picked up within one poll interval of the hand-back (at the end of the grace period).
      assert.ok(
        Math.max(...sinceTerm) <= graceMs + pollIntervalMs,
        `picked up ${Math.max(...sinceTerm)} ms after SIGTERM`,
      );

      for (const id of ids) {
        await waitFor(async () => (await job(schema, id)).state === 'completed', {
          message: `job ${id} to complete on B`,
        });
        assert.deepEqual(await job(schema, id), { state: 'completed', attempts: 1, locked_by: null });
        assert.deepEqual(await history(schema, id), [], 'a hand-back is not a failed attempt');
      }
    }),
  );
});
