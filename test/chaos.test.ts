import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { JobsModule, JobsService, type EnqueueItem } from 'nest-pg-jobs';
import type { SimulatePayload } from '../apps/server/src/handlers/simulate.handler';
import { overlaps, runsOf } from './support/attempt-timeline';
import { Cluster, percentile, type ExecutionEvent, type ServerNode } from './support/cluster';
import { databaseUrl, uniqueSchema } from './support/database';
import { privatePostgres, type PrivatePostgres } from './support/private-postgres';
import { waitFor } from './support/wait';

const JOBS = 6_000;
const NODES = 3;
const CONCURRENCY = 8;
const KILLS = 5;
const KILL_EVERY_MS = 3_000;
/** The PostgreSQL restart comes after this many kills. */
const PG_RESTART_AFTER_KILL = 2;
/** How long PostgreSQL stays down: like a real restart (the peers were measured at ~2.3 s). */
const PG_DOWN_MS = 2_000;
/** A killed node's jobs are taken back once its session has stayed gone 900 ms (the grace that tells a
 * dropped session from a dead process, issue 20), then wait for a free slot behind the other nodes'
 * backlog. A kill can also leave no registered node but a replacement still booting (measured: its
 * jobs taken back 2 s after it came up, ~5 s after the kill). */
const RESTART_P99_BOUND_MS = 6_000;
const RESUME_BOUND_MS = 5_000;
const QUIESCENCE_TIMEOUT_MS = 60_000;

/**
 * What each job is told to do, and what the test then expects of it. The rules are exact whatever
 * the kills do, because a kill mid-run uses an attempt and leaves a `lost` history row naming the
 * killed node:
 * - `ok` (80 %): 0-150 ms, succeeds. Completed; attempts = 1 + its `lost` rows.
 * - `retry` (10 %): 0-100 ms, throws on attempts 1..failTimes (1 or 2), maxAttempts 10 (more than
 *   failTimes + kills). Completed; attempts = 1 + history rows; a `failed` row only for an attempt
 *   <= failTimes, every other row `lost`.
 * - `permanent` (5 %): 0-50 ms, throws PermanentJobError, maxAttempts 10. Failed after exactly one
 *   attempt, plus one per kill mid-run: history = k `lost` rows then one `failed` row, attempts k + 1.
 * - `exhausted` (5 %): 0-50 ms, throws on every attempt, maxAttempts 3. Failed with exactly 3
 *   attempts and 3 history rows (`failed`, or `lost` when a kill took the attempt).
 * Every `lost` row must name a node the test SIGKILLed, or say that its own live node gave the attempt
 * up (its session lost in the PostgreSQL restart, it aborts what still runs before anyone may take it):
 * never two runs of a job at once.
 */
type Kind = 'ok' | 'retry' | 'permanent' | 'exhausted';
type ChaosPayload = SimulatePayload & { kind: Kind; n: number };

/** Deterministic per seed (JOBS_CHAOS_SEED to replay a run). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeJob(n: number, rnd: () => number): EnqueueItem<ChaosPayload> {
  const ms = (max: number) => Math.floor(rnd() * (max + 1));
  const r = rnd();
  if (r < 0.8) return { type: 'simulate', payload: { kind: 'ok', n, durationMs: ms(150) }, maxAttempts: 10 };
  if (r < 0.9)
    return {
      type: 'simulate',
      payload: { kind: 'retry', n, durationMs: ms(100), failTimes: 1 + Math.floor(rnd() * 2) },
      maxAttempts: 10,
    };
  if (r < 0.95)
    return {
      type: 'simulate',
      payload: { kind: 'permanent', n, durationMs: ms(50), permanent: true },
      maxAttempts: 10,
    };
  return { type: 'simulate', payload: { kind: 'exhausted', n, durationMs: ms(50), failTimes: 1_000 }, maxAttempts: 3 };
}

interface Kill {
  node: ServerNode;
  at: number;
}

interface JobRow {
  id: string;
  state: string;
  attempts: number;
  payload: ChaosPayload;
}

interface HistoryRow {
  job_id: string;
  attempt: number;
  outcome: string;
  node_id: string | null;
  error: string;
}

/** A producer-only Nest application on the database (no workers), to enqueue through the library. */
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

const fmt = (values: number[]) =>
  values.length === 0
    ? 'n/a'
    : `p50 ${percentile(values, 50)} ms, p99 ${percentile(values, 99)} ms, max ${Math.max(...values)} ms (n=${values.length})`;

describe('chaos: 3 server processes, SIGKILLs and a PostgreSQL restart', () => {
  const schema = uniqueSchema('chaos');
  let db: PrivatePostgres | undefined;
  let url = '';
  let pool: Pool | undefined;
  let cluster: Cluster | undefined;
  let failed = false;

  before(async () => {
    // A restartable server of this test's own when possible (else the run's, not restarted).
    db = (await privatePostgres()) ?? undefined;
    url = db?.url ?? databaseUrl();
    pool = new Pool({ connectionString: url, max: 3 });
    pool.on('error', () => undefined); // idle clients die when PostgreSQL restarts
    cluster = new Cluster({
      name: 'chaos',
      databaseUrl: url,
      schema,
      env: { JOBS_CONCURRENCY: String(CONCURRENCY) },
    });
  });

  after(async () => {
    await cluster?.dispose({ keepArtifacts: failed });
    if (!db) await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await db?.dispose();
  });

  it(
    'loses no job, completes none twice, reruns only killed work, and recovers fast',
    { timeout: 180_000 },
    async (t) => {
      try {
        await chaos(t);
      } catch (err) {
        failed = true;
        t.diagnostic(`artifacts kept in ${cluster?.dir}`);
        throw err;
      }
    },
  );

  async function chaos(t: TestContext): Promise<void> {
    const c = cluster!;
    const q = pool!;
    const seed = Number(process.env.JOBS_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const rnd = mulberry32(seed);
    t.diagnostic(`seed ${seed}, ${JOBS} jobs, ${NODES} nodes x concurrency ${CONCURRENCY}, artifacts in ${c.dir}`);

    const first = await Promise.all(Array.from({ length: NODES }, () => c.spawn()).map((n) => n.ready()));
    assert.equal(first.length, NODES);

    // Enqueue through the library, in a few batches.
    const enqueueStarted = Date.now();
    const items = Array.from({ length: JOBS }, (_, n) => makeJob(n, rnd));
    const app = await producer(url, schema);
    try {
      const jobs = app.get(JobsService);
      for (let i = 0; i < items.length; i += 1_000) await jobs.enqueueMany(items.slice(i, i + 1_000));
    } finally {
      await app.close();
    }
    const enqueuedAt = Date.now();
    t.diagnostic(`enqueued ${JOBS} jobs in ${enqueuedAt - enqueueStarted} ms`);

    // Chaos: a SIGKILL of a random ready node every few seconds, a replacement started at once;
    // once, a PostgreSQL restart.
    const kills: Kill[] = [];
    const replacements: Array<Promise<unknown>> = [];
    let restart: { stoppedAt: number; upAt: number; resumedAt: number } | null = null;
    // Jittered (±500 ms), so that kills do not always land at the same phase of the nodes' timers.
    const gap = () => KILL_EVERY_MS - 500 + Math.floor(rnd() * 1_000);
    let next = enqueuedAt + gap();
    for (let k = 1; k <= KILLS; k++) {
      await sleep(Math.max(0, next - Date.now()));
      const candidates = c.live().filter((n) => n.readyAt > 0);
      assert.ok(candidates.length > 0, 'a ready node to kill');
      const victim = candidates[Math.floor(rnd() * candidates.length)];
      const at = victim.kill('SIGKILL');
      kills.push({ node: victim, at });
      const replacement = c.spawn();
      // Readiness is checked at the end; a rejection must not go unhandled meanwhile.
      const ready = replacement.ready(60_000);
      ready.catch(() => undefined);
      replacements.push(ready);
      next = at + gap();

      if (k === PG_RESTART_AFTER_KILL) {
        await sleep(Math.max(0, at + KILL_EVERY_MS / 2 - Date.now()));
        if (!db) {
          t.diagnostic(
            "no restartable PostgreSQL (the external server's binaries are not here): the restart is skipped",
          );
          continue;
        }
        // A node starting while the database is down may fail its start-up (that is not a crash
        // mid-run): restart PostgreSQL once the replacements are up.
        await Promise.all(replacements);
        const stoppedAt = Date.now();
        await db.stop();
        await sleep(Math.max(0, stoppedAt + PG_DOWN_MS - Date.now()));
        await db.start();
        const upAt = Date.now();
        t.diagnostic(`${db.describe} restarted: down ${upAt - stoppedAt} ms (stop began to accepting connections)`);
        // Work resumes: the first handler start after PostgreSQL came back.
        const resumed = await waitFor(() => c.executions().events.find((e) => e.kind === 'start' && e.at > upAt), {
          timeoutMs: 20_000,
          intervalMs: 50,
          message: 'work to resume after the PostgreSQL restart',
        });
        restart = { stoppedAt, upAt, resumedAt: resumed.at };
        t.diagnostic(`work resumed ${resumed.at - upAt} ms after PostgreSQL accepted connections`);
        // No worker process exited by itself; each answers /health again.
        const live = c.live();
        assert.equal(live.length, NODES, `all ${NODES} nodes alive after the restart`);
        await Promise.all(
          live
            .filter((n) => n.readyAt > 0)
            .map((n) =>
              waitFor(async () => (await n.health()) === 200, {
                timeoutMs: 10_000,
                intervalMs: 100,
                message: `${n.name} to answer /health with 200 after the restart`,
              }),
            ),
        );
        next = Math.max(next, Date.now() + gap());
      }
    }
    const chaosEndedAt = Date.now();
    await Promise.all(replacements);

    // Quiescence: nothing pending, scheduled or running.
    const open = async () =>
      (
        await q.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schema}".jobs WHERE state IN ('pending', 'scheduled', 'running')`,
        )
      ).rows[0].n;
    await waitFor(async () => (await open()) === 0, {
      timeoutMs: QUIESCENCE_TIMEOUT_MS,
      intervalMs: 250,
      message: 'quiescence',
    }).catch(async (err: Error) => {
      const stuck = await q.query(
        `SELECT state, locked_by, count(*)::int AS n FROM "${schema}".jobs
         WHERE state IN ('pending', 'scheduled', 'running') GROUP BY 1, 2`,
      );
      throw new Error(`${err.message}; open jobs: ${JSON.stringify(stuck.rows)}`);
    });
    const quietAt = Date.now();
    t.diagnostic(
      `quiescent ${quietAt - enqueuedAt} ms after the enqueue, ${quietAt - chaosEndedAt} ms after the last chaos event`,
    );

    // No node died by itself; the survivors shut down cleanly.
    assert.deepEqual(
      c.nodes.filter((n) => n.diedByItself()).map((n) => `${n.name}: ${JSON.stringify(n.exit)}\n${n.tail()}`),
      [],
    );
    const exits = await c.terminateAll();
    for (const [name, exit] of exits) assert.deepEqual([exit?.code, exit?.signal], [0, null], `${name} exit`);

    // Read everything back.
    const jobs = (await q.query<JobRow>(`SELECT id::text, state, attempts, payload FROM "${schema}".jobs ORDER BY id`))
      .rows;
    const historyRows = (
      await q.query<HistoryRow>(
        `SELECT job_id::text, attempt, outcome, node_id, error FROM "${schema}".job_attempts ORDER BY id`,
      )
    ).rows;
    const history = new Map<string, HistoryRow[]>();
    for (const h of historyRows) history.set(h.job_id, [...(history.get(h.job_id) ?? []), h]);
    const { events, skipped } = c.executions();
    assert.equal(skipped, 0, 'every execution log line parses');
    const byJob = new Map<string, ExecutionEvent[]>();
    for (const e of events) byJob.set(e.jobId, [...(byJob.get(e.jobId) ?? []), e]);
    const killedBy = new Map(kills.map((k) => [k.node.nodeId, k]));
    const killedPids = new Set(kills.map((k) => k.node.pid));
    /** An attempt its own (live) node gave up because it could not prove its lease in time (its session
     * lost during the PostgreSQL restart): aborted before anyone else could take the job, then retried. */
    const selfAborted = (row: HistoryRow | undefined) => row?.outcome === 'lost' && /Lease not proven/.test(row.error);
    const problems: string[] = [];
    let problemCount = 0;
    const problem = (job: JobRow, what: string): void => {
      problemCount += 1;
      if (problems.length >= 30) return;
      problems.push(
        `job ${job.id} (${JSON.stringify(job.payload)}, ${job.state}, attempts ${job.attempts}): ${what}; ` +
          `history ${JSON.stringify((history.get(job.id) ?? []).map((h) => [h.attempt, h.outcome, h.node_id]))}; ` +
          `log ${JSON.stringify((byJob.get(job.id) ?? []).map((e) => [e.kind, e.attempt, e.pid, e.ok]))}`,
      );
    };

    // 1. None lost, none stuck: every enqueued job is there, in the state its kind says.
    assert.equal(jobs.length, JOBS, 'every enqueued job is in the table');
    const states: Record<string, number> = {};
    for (const job of jobs) states[job.state] = (states[job.state] ?? 0) + 1;
    const kinds: Record<string, number> = {};
    for (const job of jobs) kinds[job.payload.kind] = (kinds[job.payload.kind] ?? 0) + 1;
    t.diagnostic(`jobs: ${JSON.stringify(kinds)}; states: ${JSON.stringify(states)}`);

    let duplicates = 0;
    let finishedUnrecorded = 0;
    for (const job of jobs) {
      const h = history.get(job.id) ?? [];
      const log = byJob.get(job.id) ?? [];
      const { kind } = job.payload;
      // A lost attempt must be a killed node's.
      for (const row of h.filter((r) => r.outcome === 'lost' && !selfAborted(r)))
        if (!row.node_id || !killedBy.has(row.node_id))
          problem(job, `attempt ${row.attempt} lost by ${row.node_id}, a node that was not killed`);
      const lost = h.filter((r) => r.outcome === 'lost').length;
      const outcomes = h.map((r) => r.outcome);
      if (kind === 'ok' || kind === 'retry') {
        if (job.state !== 'completed') problem(job, 'expected completed');
        if (job.attempts !== h.length + 1) problem(job, 'attempts != history rows + 1');
        for (const row of h)
          if (!(row.outcome === 'lost' || (row.outcome === 'failed' && row.attempt <= (job.payload.failTimes ?? 0))))
            problem(job, `unexpected history row ${row.attempt} ${row.outcome}`);
      } else if (kind === 'permanent') {
        const expected = [...Array<string>(lost).fill('lost'), 'failed'];
        if (job.state !== 'failed') problem(job, 'expected failed');
        if (job.attempts !== lost + 1) problem(job, `expected ${lost + 1} attempts (1 + ${lost} killed)`);
        if (JSON.stringify(outcomes) !== JSON.stringify(expected)) problem(job, `expected history ${expected}`);
        if (!/simulated permanent failure/.test(h.at(-1)?.error ?? ''))
          problem(job, 'last error is not the permanent one');
      } else {
        if (job.state !== 'failed') problem(job, 'expected failed');
        if (job.attempts !== 3) problem(job, 'expected exactly 3 attempts');
        if (h.length !== 3 || outcomes.some((o) => o !== 'failed' && o !== 'lost'))
          problem(job, 'expected 3 failed/lost history rows');
      }

      // 2. Runs: one start per attempt; every run but the last ended in a recorded failure, or on a
      // node that was killed (the attempt is then `lost`). Anything else ran twice for no reason.
      const starts = log.filter((e) => e.kind === 'start');
      if (new Set(starts.map((s) => s.attempt)).size !== starts.length) problem(job, 'an attempt started twice');
      // Every attempt the database counted either ran (a start in a log) or was claimed by a node
      // killed before it started the handler (a `lost` row).
      for (let attempt = 1; attempt <= job.attempts; attempt++)
        if (!starts.some((s) => s.attempt === attempt) && !h.some((r) => r.attempt === attempt && r.outcome === 'lost'))
          problem(job, `attempt ${attempt} was counted but neither started nor lost`);
      let killedRerun = false;
      for (const s of starts) {
        if (s.attempt > job.attempts) problem(job, `a start of attempt ${s.attempt} beyond the recorded attempts`);
        if (s.attempt === job.attempts) continue;
        const row = h.find((r) => r.attempt === s.attempt);
        if (row?.outcome === 'failed' && log.some((e) => e.kind === 'end' && e.attempt === s.attempt && !e.ok))
          continue; // a retry after a recorded failure
        if (row?.outcome === 'lost' && killedPids.has(s.pid) && killedBy.get(row.node_id ?? '')?.node.pid === s.pid) {
          killedRerun = true;
          continue;
        }
        if (selfAborted(row)) continue;
        problem(job, `attempt ${s.attempt} (pid ${s.pid}) ran again without a failure or a kill`);
      }
      if (killedRerun) duplicates += 1;

      // 3. Completed once: the one successful run the database recorded is the last attempt's; any
      // other successful run was on a node killed before it could write it (then `lost`).
      for (const e of log.filter((x) => x.kind === 'end' && x.ok)) {
        if (job.state === 'completed' && e.attempt === job.attempts) continue;
        const row = h.find((r) => r.attempt === e.attempt);
        if (row?.outcome === 'lost' && killedBy.get(row.node_id ?? '')?.node.pid === e.pid) finishedUnrecorded += 1;
        else problem(job, `attempt ${e.attempt} succeeded on pid ${e.pid} but was not recorded`);
      }
      if (job.state === 'completed') {
        const recorded = log.filter((e) => e.kind === 'end' && e.ok && e.attempt === job.attempts);
        if (recorded.length !== 1) problem(job, `${recorded.length} successful runs of the completed attempt`);
      }
    }

    // 4. Restart time: from each kill to the next start of each job it took down (running, or
    // claimed but not started), as the `lost` rows naming the killed node tell.
    const restartMs: number[] = [];
    const perKill: string[] = [];
    let deadLettered = 0;
    let neverRestarted = 0;
    let claimedNotStarted = 0;
    const ended = new Set(events.filter((e) => e.kind === 'end').map((e) => `${e.pid}/${e.jobId}/${e.attempt}`));
    const jobById = new Map(jobs.map((j) => [j.id, j]));
    for (const kill of kills) {
      const lostRows = historyRows.filter((h) => h.outcome === 'lost' && h.node_id === kill.node.nodeId);
      const lostKeys = new Set(lostRows.map((h) => `${h.job_id}/${h.attempt}`));
      const startedHere = events.filter((e) => e.kind === 'start' && e.pid === kill.node.pid);
      const midRun = startedHere.filter((e) => !ended.has(`${e.pid}/${e.jobId}/${e.attempt}`));
      for (const e of midRun)
        if (!lostKeys.has(`${e.jobId}/${e.attempt}`))
          problem(
            jobById.get(e.jobId)!,
            `attempt ${e.attempt} was running on killed ${kill.node.name} but is not lost`,
          );
      const startedKeys = new Set(startedHere.map((e) => `${e.jobId}/${e.attempt}`));
      const notStarted = lostRows.filter((h) => !startedKeys.has(`${h.job_id}/${h.attempt}`)).length;
      claimedNotStarted += notStarted;
      const delays: number[] = [];
      for (const row of lostRows) {
        const job = jobById.get(row.job_id)!;
        const again = (byJob.get(row.job_id) ?? []).find((e) => e.kind === 'start' && e.attempt > row.attempt);
        if (again) delays.push(again.at - kill.at);
        else if (job.state === 'failed' && job.attempts === row.attempt) deadLettered += 1;
        else neverRestarted += 1;
      }
      restartMs.push(...delays);
      perKill.push(
        `${kill.node.name} (pid ${kill.node.pid}) at +${kill.at - enqueuedAt} ms: ${lostRows.length} jobs lost ` +
          `(${midRun.length} mid-run, ${notStarted} claimed but not started), restarted ${fmt(delays)}`,
      );
    }
    t.diagnostic(`kills: ${kills.length}`);
    for (const line of perKill) t.diagnostic(`  ${line}`);
    t.diagnostic(
      `duplicates (jobs run again because their node was killed): ${duplicates}; ` +
        `of those runs, finished but unrecorded before the kill: ${finishedUnrecorded}; ` +
        `claimed but not started when killed: ${claimedNotStarted}; ` +
        `lost on their last attempt (dead-lettered, not restarted): ${deadLettered}`,
    );
    t.diagnostic(`restart time after a kill: ${fmt(restartMs)}`);
    if (restart) {
      // 5. Handlers that finished while PostgreSQL was down kept their result and wrote it after:
      // the attempt that ended then is the one recorded, not run again.
      const { stoppedAt, upAt } = restart;
      const duringOutage = events.filter((e) => e.kind === 'end' && e.at > stoppedAt && e.at < upAt);
      for (const e of duringOutage) {
        const job = jobById.get(e.jobId)!;
        const recorded = e.ok
          ? job.state === 'completed' && job.attempts === e.attempt
          : (history.get(e.jobId) ?? []).some(
              (h) => h.attempt === e.attempt && (h.outcome === 'failed' || selfAborted(h)),
            );
        if (!recorded) problem(job, `attempt ${e.attempt} ended during the outage but its outcome was not recorded`);
      }
      t.diagnostic(
        `PostgreSQL restart: down ${upAt - stoppedAt} ms, work resumed ${restart.resumedAt - upAt} ms after it ` +
          `accepted connections; ${duringOutage.length} handlers finished during the outage, their outcomes written after`,
      );
    }
    t.diagnostic(`time to quiescence: ${quietAt - enqueuedAt} ms after the enqueue`);

    assert.deepEqual(problems, [], `${problemCount} problems (the first ${problems.length} shown)`);
    // No two runs of one job at once: a killed node's run ends at its kill.
    const killedAt = new Map(kills.map((k) => [k.node.pid, k.at]));
    const runs = runsOf(events).map((r) => (r.end === Infinity ? { ...r, end: killedAt.get(r.pid) ?? r.end } : r));
    assert.deepEqual(overlaps(runs).slice(0, 10), [], 'no two runs of one job at once');
    const aborted = [...history.values()].flat().filter((h) => selfAborted(h)).length;
    t.diagnostic(`attempts given up by their own live node (lease not proven in time): ${aborted}`);
    assert.equal(neverRestarted, 0, 'every job a kill took down ran again or was dead-lettered');
    assert.ok(restartMs.length > 0, 'the kills interrupted some jobs');
    assert.ok(
      percentile(restartMs, 99) <= RESTART_P99_BOUND_MS,
      `restart time p99 ${percentile(restartMs, 99)} ms <= ${RESTART_P99_BOUND_MS} ms`,
    );
    if (restart) {
      assert.ok(
        restart.resumedAt - restart.upAt <= RESUME_BOUND_MS,
        `work resumed ${restart.resumedAt - restart.upAt} ms after PostgreSQL came back`,
      );
    }
  }
});
