import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { JobHandler, JobTimeoutError, PermanentJobError, type Job, type JobContext } from 'nest-pg-jobs';
import { backoffDelay } from './support/internals';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { deferred, waitFor } from './support/wait';

/** Handler calls by job id: attempt numbers seen, in order. */
const calls = new Map<string, number[]>();
function record(job: Job, ctx: JobContext): void {
  calls.set(job.id, [...(calls.get(job.id) ?? []), ctx.attempt]);
}

const FAST = { baseDelayMs: 5, maxDelayMs: 20 };

@Injectable()
@JobHandler('flaky', { maxAttempts: 5, backoff: FAST })
class FlakyHandler {
  async handle(job: Job<{ failures: number }>, ctx: JobContext): Promise<void> {
    record(job, ctx);
    if (ctx.attempt <= job.payload.failures) throw new Error(`flaky failure on attempt ${ctx.attempt}`);
  }
}

/** The run time each attempt was claimed with (read from the database by the claim). */
const claimedRunAt = new Map<string, Map<number, Date>>();

@Injectable()
@JobHandler('backoff', { queue: 'backoff', maxAttempts: 4, backoff: { baseDelayMs: 200, maxDelayMs: 400 } })
class BackoffHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    const seen = claimedRunAt.get(job.id) ?? new Map<number, Date>();
    seen.set(ctx.attempt, job.runAt);
    claimedRunAt.set(job.id, seen);
    throw new Error(`backoff failure ${ctx.attempt}`);
  }
}

@Injectable()
@JobHandler('doomed', { maxAttempts: 3, backoff: FAST })
class DoomedHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(job, ctx);
    throw new Error(`doomed attempt ${ctx.attempt}`);
  }
}

@Injectable()
@JobHandler('noop')
class NoopHandler {
  async handle(): Promise<void> {}
}

class BadInputError extends PermanentJobError {}

@Injectable()
@JobHandler('permanent', { maxAttempts: 5, backoff: FAST })
class PermanentHandler {
  async handle(job: Job<{ subclass: boolean }>, ctx: JobContext): Promise<void> {
    record(job, ctx);
    if (job.payload.subclass) throw new BadInputError('bad input (subclass)');
    throw new PermanentJobError('bad input');
  }
}

const abortReasons = new Map<string, unknown>();

/** Attempt 1 waits for its signal, then returns; attempt 2 succeeds. */
@Injectable()
@JobHandler('times-out', { timeoutMs: 200, maxAttempts: 3, backoff: FAST })
class TimesOutHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(job, ctx);
    if (ctx.attempt > 1) return;
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    abortReasons.set(job.id, ctx.signal.reason);
  }
}

const returnedAt = new Map<string, number>();

/** Ignores its signal and "succeeds" after 600 ms, long after its 200 ms timeout. */
@Injectable()
@JobHandler('ignores-signal', { queue: 'hang', timeoutMs: 200, maxAttempts: 1 })
class IgnoresSignalHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(job, ctx);
    await sleep(600);
    returnedAt.set(job.id, Date.now());
  }
}

const hangGates = new Map<string, { promise: Promise<void>; resolve: () => void }>();

/** Attempt 1 ignores its signal and hangs until the test releases it; attempt 2 succeeds at once. */
@Injectable()
@JobHandler('hang-then-retry', {
  queue: 'hang2',
  timeoutMs: 200,
  maxAttempts: 2,
  backoff: { baseDelayMs: 1, maxDelayMs: 1 },
})
class HangThenRetryHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(job, ctx);
    if (ctx.attempt > 1) return;
    const gate = deferred();
    hangGates.set(job.id, gate);
    await gate.promise;
    returnedAt.set(job.id, Date.now());
  }
}

let boundInFlight = 0;
let boundMaxInFlight = 0;
const boundStarted: string[] = [];
const boundGates: Array<() => void> = [];

/** Every attempt of a `hang: true` job ignores its signal and hangs until the test releases it. */
@Injectable()
@JobHandler('bounded', { queue: 'hang3', timeoutMs: 200, maxAttempts: 2, backoff: { baseDelayMs: 1, maxDelayMs: 1 } })
class BoundedHandler {
  async handle(job: Job<{ name: string; hang: boolean }>, ctx: JobContext): Promise<void> {
    record(job, ctx);
    boundStarted.push(`${job.payload.name}#${ctx.attempt}`);
    boundInFlight += 1;
    boundMaxInFlight = Math.max(boundMaxInFlight, boundInFlight);
    try {
      if (job.payload.hang) await new Promise<void>((resolve) => boundGates.push(resolve));
    } finally {
      boundInFlight -= 1;
    }
  }
}

function circular(): unknown {
  const o: Record<string, unknown> = { name: 'loop' };
  o.self = o;
  return o;
}

const THROWN: Record<string, { value: () => unknown; message: string }> = {
  string: { value: () => 'boom', message: 'Non-Error value thrown: "boom"' },
  number: { value: () => 42, message: 'Non-Error value thrown: 42' },
  object: {
    value: () => ({ code: 'E_FAIL', retry: false }),
    message: 'Non-Error value thrown: {"code":"E_FAIL","retry":false}',
  },
  undefined: { value: () => undefined, message: 'Non-Error value thrown: undefined' },
  null: { value: () => null, message: 'Non-Error value thrown: null' },
  circular: { value: circular, message: 'Non-Error value thrown: [object Object]' },
};

@Injectable()
@JobHandler('throws-value', { maxAttempts: 2, backoff: FAST })
class ThrowsValueHandler {
  async handle(job: Job<{ kind: string }>, ctx: JobContext): Promise<void> {
    record(job, ctx);
    throw THROWN[job.payload.kind].value();
  }
}

/** Not async: attempt 1 throws an Error synchronously, attempt 2 a number, attempt 3 returns. */
@Injectable()
@JobHandler('sync-throw', { maxAttempts: 3, backoff: FAST })
class SyncThrowHandler {
  handle(job: Job, ctx: JobContext): void {
    record(job, ctx);
    if (ctx.attempt === 1) throw new Error('sync boom');
    if (ctx.attempt === 2) throw 7;
  }
}

interface JobDbRow {
  id: string;
  state: string;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  locked_by: string | null;
  last_error: string | null;
}

interface AttemptDbRow {
  attempt: number;
  replay: number;
  outcome: string;
  node_id: string | null;
  started_at: Date | null;
  finished_at: Date;
  error: string;
  stack: string | null;
}

const TERMINAL = new Set(['completed', 'failed', 'canceled']);

describe('failures, retries, timeouts', () => {
  const pool = assertionPool();
  let t: TestApp;

  const jobRow = async (id: string): Promise<JobDbRow> =>
    (await pool.query<JobDbRow>(`SELECT * FROM "${t.schema}".jobs WHERE id = $1`, [id])).rows[0];
  const history = async (id: string): Promise<AttemptDbRow[]> =>
    (
      await pool.query<AttemptDbRow>(
        `SELECT attempt, replay, outcome, node_id, started_at, finished_at, error, stack
         FROM "${t.schema}".job_attempts WHERE job_id = $1 ORDER BY id`,
        [id],
      )
    ).rows;
  /** Waits until the job is in a terminal state, then checks it is `state`. */
  const settled = async (id: string, state: string, timeoutMs = 10_000): Promise<JobDbRow> => {
    const row = await waitFor(
      async () => {
        const r = await jobRow(id);
        return TERMINAL.has(r.state) ? r : undefined;
      },
      { timeoutMs, message: `job ${id} to finish` },
    );
    assert.equal(row.state, state, `job ${id}: ${row.last_error ?? ''}`);
    return row;
  };
  /** A job enqueued and completed after everything before it: every earlier write has been made. */
  const roundTrip = async (options: { delayMs?: number } = {}): Promise<void> => {
    const job = await t.jobs.enqueue('noop', {}, options);
    await settled(job.id, 'completed');
  };

  before(async () => {
    t = await createTestApp(
      [
        FlakyHandler,
        BackoffHandler,
        DoomedHandler,
        NoopHandler,
        PermanentHandler,
        TimesOutHandler,
        IgnoresSignalHandler,
        HangThenRetryHandler,
        BoundedHandler,
        ThrowsValueHandler,
        SyncThrowHandler,
      ],
      {
        queues: {
          backoff: { concurrency: 20 },
          hang: { concurrency: 1 },
          hang2: { concurrency: 2 },
          hang3: { concurrency: 2 },
        },
      },
    );
  });
  after(async () => {
    for (const gate of hangGates.values()) gate.resolve();
    for (const release of boundGates) release();
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('retries after failures, then completes; each failed attempt is in the history', async () => {
    const job = await t.jobs.enqueue('flaky', { failures: 2 });
    const row = await settled(job.id, 'completed');
    assert.equal(row.attempts, 3);
    assert.equal(row.max_attempts, 5);
    assert.equal(row.locked_by, null);
    assert.equal(row.last_error, null, 'a completed job has no last error (the failed attempts are in its history)');
    assert.equal((await t.jobs.get(job.id))?.lastError, null);
    assert.ok(row.finished_at);
    assert.deepEqual(calls.get(job.id), [1, 2, 3]);
    const rows = await history(job.id);
    assert.deepEqual(
      rows.map((r) => [r.attempt, r.replay, r.outcome, r.error]),
      [
        [1, 0, 'failed', 'flaky failure on attempt 1'],
        [2, 0, 'failed', 'flaky failure on attempt 2'],
      ],
    );
    for (const r of rows) {
      assert.equal(r.node_id, t.runner.nodeId);
      assert.ok(r.stack?.includes('flaky failure on attempt'), r.stack ?? 'no stack');
      assert.ok(r.stack?.includes('failures.test'), `stack names the handler's file: ${r.stack}`);
      assert.ok(r.started_at && r.started_at <= r.finished_at);
    }
    assert.ok(rows[0].finished_at <= rows[1].started_at!);
    assert.ok(rows[1].finished_at <= row.started_at!, 'the last attempt started after the failed ones');
  });

  it('backoffDelay: full jitter in [0, min(max, base * 2^(attempt-1)))', () => {
    const at = (r: number) => () => r;
    // attempt 1: cap = base
    assert.equal(backoffDelay(1, 100, 10_000, at(0)), 0);
    assert.equal(backoffDelay(1, 100, 10_000, at(0.5)), 50);
    assert.equal(backoffDelay(1, 100, 10_000, at(0.999)), 99);
    // the cap doubles per attempt
    assert.equal(backoffDelay(2, 100, 10_000, at(0.5)), 100);
    assert.equal(backoffDelay(3, 100, 10_000, at(0.5)), 200);
    assert.equal(backoffDelay(4, 100, 10_000, at(0.999)), 799);
    // ... up to maxDelayMs
    assert.equal(backoffDelay(8, 100, 10_000, at(0.5)), 5_000);
    assert.equal(backoffDelay(8, 100, 10_000, at(0.999)), 9_990);
    assert.equal(backoffDelay(20, 100, 10_000, at(0.999)), 9_990);
    assert.equal(backoffDelay(20, 100, 10_000, at(0)), 0);
    // huge attempt numbers do not overflow into Infinity/NaN
    assert.equal(backoffDelay(1_000, 1_000, 3_600_000, at(0.5)), 1_800_000);
    assert.equal(backoffDelay(Number.MAX_SAFE_INTEGER, 1_000, 3_600_000, at(0.999)), 3_596_400);
    // attempt 0 (or less) is treated as the first
    assert.equal(backoffDelay(0, 100, 10_000, at(0.999)), 99);
    // zero base: retry at once
    assert.equal(backoffDelay(5, 0, 10_000, at(0.999)), 0);
    // never reaches the cap, is an integer, with the real random source too
    for (let i = 0; i < 1_000; i++) {
      const d = backoffDelay(3, 100, 10_000);
      assert.ok(Number.isInteger(d) && d >= 0 && d < 400, `delay ${d}`);
    }
  });

  it('schedules each retry within its backoff cap, and does not run it early', async () => {
    const jobs = await t.jobs.enqueueMany(Array.from({ length: 12 }, (_, i) => ({ type: 'backoff', payload: { i } })));
    const cap = (n: number) => Math.min(400, 200 * 2 ** (n - 1));
    const delaysByAttempt = new Map<number, number[]>();
    for (const job of jobs) {
      const row = await settled(job.id, 'failed');
      assert.equal(row.attempts, 4);
      const rows = await history(job.id);
      assert.deepEqual(
        rows.map((r) => r.attempt),
        [1, 2, 3, 4],
      );
      const runAts = claimedRunAt.get(job.id)!;
      for (let n = 1; n <= 3; n++) {
        // The fail statement set run_at = now() + delay, and finished_at = now() of the same statement.
        const delay = +runAts.get(n + 1)! - +rows[n - 1].finished_at;
        assert.ok(delay >= -1 && delay <= cap(n) + 1, `attempt ${n}: scheduled delay ${delay} ms, cap ${cap(n)}`);
        delaysByAttempt.set(n, [...(delaysByAttempt.get(n) ?? []), delay]);
        const nextStart = n < 3 ? rows[n].started_at! : rows[3].started_at!;
        const gap = +nextStart - +rows[n - 1].finished_at;
        assert.ok(gap >= 0, `attempt ${n + 1} started ${gap} ms after attempt ${n} failed`);
        assert.ok(gap >= delay - 1, `attempt ${n + 1} started ${gap} ms after the failure, before its delay ${delay}`);
        assert.ok(gap <= cap(n) + 100 + 400, `attempt ${n + 1} started ${gap} ms after attempt ${n} failed`);
      }
      assert.equal(+row.started_at!, +rows[3].started_at!, 'the job row shows the last attempt');
    }
    // The dead letter keeps the run time of its last retry: check it in SQL, at full precision.
    const res = await pool.query<{ id: string; delay_ms: number }>(
      `SELECT j.id, extract(epoch FROM j.run_at - a.finished_at)::float8 * 1000 AS delay_ms
       FROM "${t.schema}".jobs j JOIN "${t.schema}".job_attempts a ON a.job_id = j.id AND a.attempt = 3
       WHERE j.type = 'backoff'`,
    );
    assert.equal(res.rows.length, jobs.length);
    for (const r of res.rows) assert.ok(r.delay_ms >= 0 && r.delay_ms <= 400, `delay after attempt 3: ${r.delay_ms}`);
    // Jitter really spreads: with 12 uniform samples in [0, 400) per attempt, all under 100 ms
    // (p = 0.25^12) would mean the delay is not drawn from the cap.
    for (const n of [2, 3]) {
      const max = Math.max(...delaysByAttempt.get(n)!);
      assert.ok(max >= 100, `largest delay after attempt ${n}: ${max}`);
    }
    assert.ok(Math.max(...delaysByAttempt.get(1)!) >= 40);
  });

  it('dead-letters a job after maxAttempts and never retries it', async () => {
    const job = await t.jobs.enqueue('doomed', { x: 1 });
    const row = await settled(job.id, 'failed');
    assert.equal(row.attempts, 3);
    assert.equal(row.last_error, 'doomed attempt 3');
    assert.ok(row.finished_at);
    assert.equal(row.locked_by, null);
    const rows = await history(job.id);
    assert.deepEqual(
      rows.map((r) => [r.attempt, r.outcome, r.error, r.node_id]),
      [
        [1, 'failed', 'doomed attempt 1', t.runner.nodeId],
        [2, 'failed', 'doomed attempt 2', t.runner.nodeId],
        [3, 'failed', 'doomed attempt 3', t.runner.nodeId],
      ],
    );
    // Several poll intervals pass, and a later job runs and is recorded: the dead one stays put.
    await roundTrip({ delayMs: 350 });
    const later = await jobRow(job.id);
    assert.equal(later.state, 'failed');
    assert.equal(later.attempts, 3);
    assert.equal(+later.updated_at, +row.updated_at);
    assert.equal((await history(job.id)).length, 3);
    assert.deepEqual(calls.get(job.id), [1, 2, 3]);
  });

  it('PermanentJobError fails the job at once, whatever attempts remain', async () => {
    const job = await t.jobs.enqueue('permanent', { subclass: false }, { maxAttempts: 5 });
    const sub = await t.jobs.enqueue('permanent', { subclass: true }, { maxAttempts: 5 });
    for (const [id, message] of [
      [job.id, 'bad input'],
      [sub.id, 'bad input (subclass)'],
    ]) {
      const row = await settled(id, 'failed');
      assert.equal(row.attempts, 1);
      assert.equal(row.max_attempts, 5);
      assert.equal(row.last_error, message);
      const rows = await history(id);
      assert.deepEqual(
        rows.map((r) => [r.attempt, r.outcome, r.error]),
        [[1, 'failed', message]],
      );
      assert.ok(rows[0].stack?.includes('failures.test'));
    }
    await roundTrip();
    assert.deepEqual(calls.get(job.id), [1]);
    assert.deepEqual(calls.get(sub.id), [1]);
  });

  it('a timed-out attempt aborts the signal, is recorded as timed_out, and is retried', async () => {
    const job = await t.jobs.enqueue('times-out', {});
    const row = await settled(job.id, 'completed');
    assert.equal(row.attempts, 2);
    const rows = await history(job.id);
    assert.deepEqual(
      rows.map((r) => [r.attempt, r.outcome, r.error, r.node_id]),
      [[1, 'timed_out', 'Job timed out after 200 ms', t.runner.nodeId]],
    );
    assert.match(rows[0].error, /200 ms/);
    const took = +rows[0].finished_at - +rows[0].started_at!;
    assert.ok(took >= 195, `timed out after ${took} ms`);
    const reason = abortReasons.get(job.id);
    assert.ok(reason instanceof JobTimeoutError);
    assert.equal(reason.timeoutMs, 200);
    assert.deepEqual(calls.get(job.id), [1, 2]);
  });

  it('a handler that ignores its timeout keeps its slot until it returns, and its late success is refused', async () => {
    const job = await t.jobs.enqueue('ignores-signal', {});
    // The timeout is recorded while the handler still runs.
    const rows = await waitFor(async () => {
      const r = await history(job.id);
      return r.length > 0 ? r : undefined;
    });
    assert.deepEqual(
      rows.map((r) => [r.attempt, r.outcome, r.error]),
      [[1, 'timed_out', 'Job timed out after 200 ms']],
    );
    assert.equal(returnedAt.has(job.id), false, 'the handler is still running');
    const timedOut = await jobRow(job.id);
    assert.equal(timedOut.state, 'failed');
    assert.equal(timedOut.attempts, 1);
    // Until the handler returns, its slot stays taken.
    let samples = 0;
    await waitFor(
      () => {
        const running = t.runner.runningCount('hang');
        if (returnedAt.has(job.id)) return true;
        assert.ok(running >= 1, 'the hanging handler still holds its slot');
        samples += 1;
        return false;
      },
      { intervalMs: 20, message: 'the handler to return' },
    );
    assert.ok(samples >= 3, `sampled ${samples} times while hanging`);
    await waitFor(() => t.runner.runningCount('hang') === 0, { message: 'slot freed' });
    await roundTrip();
    const later = await jobRow(job.id);
    assert.equal(later.state, 'failed');
    assert.equal(later.attempts, 1);
    assert.equal(later.last_error, 'Job timed out after 200 ms');
    assert.equal(+later.updated_at, +timedOut.updated_at);
    assert.equal((await history(job.id)).length, 1);
    assert.deepEqual(calls.get(job.id), [1]);
  });

  it('the retry of a timed-out job may run beside its hanging attempt; both hold a slot', async () => {
    const job = await t.jobs.enqueue('hang-then-retry', {});
    const row = await settled(job.id, 'completed');
    assert.equal(row.attempts, 2);
    assert.deepEqual(
      (await history(job.id)).map((r) => [r.attempt, r.outcome]),
      [[1, 'timed_out']],
    );
    assert.equal(returnedAt.has(job.id), false, 'attempt 1 still hangs');
    assert.equal(t.runner.runningCount('hang2'), 1, "attempt 1's handler still occupies a slot");
    hangGates.get(job.id)!.resolve();
    await waitFor(() => returnedAt.has(job.id), { message: 'attempt 1 to return' });
    await waitFor(() => t.runner.runningCount('hang2') === 0, { message: 'slot freed' });
    await roundTrip();
    assert.equal((await jobRow(job.id)).state, 'completed');
    assert.deepEqual(calls.get(job.id), [1, 2]);
  });

  it('handlers still running after their timeout count against the queue concurrency', async () => {
    const a = await t.jobs.enqueue('bounded', { name: 'a', hang: true });
    // a#1 times out but hangs on; its retry a#2 takes the second slot and hangs too.
    await waitFor(() => boundStarted.includes('a#2'), { message: 'the retry of a to start' });
    const b = await t.jobs.enqueue('bounded', { name: 'b', hang: false });
    assert.equal(t.runner.runningCount('hang3'), 2);
    // a#2 times out as well (so a is dead); both handlers still hang, so b must wait.
    await settled(a.id, 'failed');
    assert.deepEqual(
      (await history(a.id)).map((r) => [r.attempt, r.outcome]),
      [
        [1, 'timed_out'],
        [2, 'timed_out'],
      ],
    );
    await roundTrip({ delayMs: 250 });
    assert.equal((await jobRow(b.id)).state, 'pending', 'b waits for a free slot');
    assert.deepEqual(boundStarted, ['a#1', 'a#2']);
    assert.equal(t.runner.runningCount('hang3'), 2);
    assert.equal(boundMaxInFlight, 2);
    // One hanging handler returns: its slot goes to b.
    boundGates.shift()!();
    await settled(b.id, 'completed');
    assert.deepEqual(boundStarted, ['a#1', 'a#2', 'b#1']);
    assert.equal(boundMaxInFlight, 2, 'never more handlers than the concurrency');
    boundGates.shift()!();
    await waitFor(() => t.runner.runningCount('hang3') === 0, { message: 'slots freed' });
    assert.equal((await jobRow(a.id)).state, 'failed');
  });

  it('records thrown non-Error values as text without a stack, and keeps working', async () => {
    const kinds = Object.keys(THROWN);
    const jobs = await t.jobs.enqueueMany(kinds.map((kind) => ({ type: 'throws-value', payload: { kind } })));
    for (const [i, kind] of kinds.entries()) {
      const id = jobs[i].id;
      const { message } = THROWN[kind];
      const row = await settled(id, 'failed');
      assert.equal(row.attempts, 2, kind);
      assert.equal(row.last_error, message, kind);
      const rows = await history(id);
      assert.deepEqual(
        rows.map((r) => [r.attempt, r.outcome, r.error, r.stack, r.node_id]),
        [
          [1, 'failed', message, null, t.runner.nodeId],
          [2, 'failed', message, null, t.runner.nodeId],
        ],
        kind,
      );
      assert.deepEqual(calls.get(id), [1, 2], kind);
    }
    await roundTrip();
    const again = await t.jobs.enqueue('flaky', { failures: 0 });
    assert.equal((await settled(again.id, 'completed')).attempts, 1);
    assert.equal(t.runner.runningCount(), 0);
  });

  it('catches a synchronous throw from a non-async handle() like a rejection', async () => {
    const job = await t.jobs.enqueue('sync-throw', {});
    const row = await settled(job.id, 'completed');
    assert.equal(row.attempts, 3);
    const rows = await history(job.id);
    assert.deepEqual(
      rows.map((r) => [r.attempt, r.outcome, r.error]),
      [
        [1, 'failed', 'sync boom'],
        [2, 'failed', 'Non-Error value thrown: 7'],
      ],
    );
    assert.ok(rows[0].stack?.includes('failures.test'), rows[0].stack ?? 'no stack');
    assert.equal(rows[1].stack, null);
    assert.deepEqual(calls.get(job.id), [1, 2, 3]);
  });
});
