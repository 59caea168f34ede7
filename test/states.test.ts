import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobHandler, JobNotFoundError, JobStateError, type Job, type JobContext } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { deferred, waitFor } from './support/wait';

const gates = new Map<string, { promise: Promise<void>; resolve: () => void }>();
const aborted = new Set<string>();

@Injectable()
@JobHandler('gated', { maxAttempts: 3 })
class GatedHandler {
  async handle(job: Job<{ key: string }>, ctx: JobContext): Promise<void> {
    const gate = deferred();
    gates.set(job.payload.key, gate);
    ctx.signal.addEventListener('abort', () => {
      aborted.add(job.payload.key);
      gate.resolve();
    });
    await gate.promise;
  }
}

@Injectable()
@JobHandler('noop')
class NoopHandler {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('dies', { maxAttempts: 1 })
class DiesHandler {
  async handle(): Promise<void> {
    throw new Error('always');
  }
}

describe('job states', () => {
  const pool = assertionPool();
  let t: TestApp;
  const state = async (id: string) =>
    (await pool.query<{ state: string }>(`SELECT state FROM "${t.schema}".jobs WHERE id = $1`, [id])).rows[0].state;

  before(async () => {
    // One slot: a second job waits as pending while the first runs.
    t = await createTestApp([GatedHandler, NoopHandler, DiesHandler], { concurrency: 1 });
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('pending -> running -> completed, attempts counted once', async () => {
    // Busy queue: the job waits as pending, and is claimed when the slot frees up.
    const holder = await t.jobs.enqueue('gated', { key: 'a0' });
    await waitFor(() => gates.has('a0'), { message: 'the first job to hold the queue' });
    const job = await t.jobs.enqueue('gated', { key: 'a' });
    assert.equal(job.state, 'pending');
    assert.equal(await state(job.id), 'pending');
    gates.get('a0')!.resolve();
    await waitFor(async () => (await state(holder.id)) === 'completed', { message: 'the first job to finish' });
    await waitFor(() => gates.has('a'), { message: 'handler start' });
    assert.equal(await state(job.id), 'running');
    const running = await t.jobs.get(job.id);
    assert.equal(running?.attempts, 1);
    assert.equal(running?.lockedBy, t.runner.nodeId);
    assert.ok(running?.lockedUntil && running.lockedUntil > new Date());
    gates.get('a')!.resolve();
    await waitFor(async () => (await state(job.id)) === 'completed', { message: 'completed' });
    const done = await t.jobs.get(job.id);
    assert.equal(done?.attempts, 1);
    assert.equal(done?.lockedBy, null);
    assert.ok(done?.finishedAt);
    assert.deepEqual(done?.attemptHistory, []);
  });

  it('a job with a future run time is scheduled, not pending', async () => {
    const job = await t.jobs.enqueue('noop', {}, { delayMs: 60_000 });
    assert.equal(job.state, 'scheduled');
    const canceled = await t.jobs.cancel(job.id);
    assert.equal(canceled.state, 'canceled');
  });

  it('cancels a pending job, and it never runs', async () => {
    const job = await t.jobs.enqueue('noop', {}, { delayMs: 300 });
    await t.jobs.cancel(job.id);
    const later = await t.jobs.enqueue('noop', {}, { delayMs: 400 });
    await waitFor(async () => (await state(later.id)) === 'completed', { message: 'a later job to run' });
    const read = await t.jobs.get(job.id);
    assert.equal(read?.state, 'canceled');
    assert.equal(read?.attempts, 0);
  });

  it('terminal states do not change: cancel of completed, failed or canceled is refused', async () => {
    const done = await t.jobs.enqueue('noop', {});
    await waitFor(async () => (await state(done.id)) === 'completed', { message: 'completed' });
    await assert.rejects(t.jobs.cancel(done.id), JobStateError);
    const dead = await t.jobs.enqueue('dies', {});
    await waitFor(async () => (await state(dead.id)) === 'failed', { message: 'failed' });
    await assert.rejects(t.jobs.cancel(dead.id), JobStateError);
    const canceled = await t.jobs.enqueue('noop', {}, { delayMs: 60_000 });
    await t.jobs.cancel(canceled.id);
    await assert.rejects(t.jobs.cancel(canceled.id), JobStateError);
    assert.equal(await state(done.id), 'completed');
    assert.equal(await state(dead.id), 'failed');
  });

  it('replay is allowed only from failed or canceled, and starts afresh keeping history', async () => {
    const done = await t.jobs.enqueue('noop', {});
    await waitFor(async () => (await state(done.id)) === 'completed', { message: 'completed' });
    await assert.rejects(t.jobs.replay(done.id), JobStateError);
    const pending = await t.jobs.enqueue('noop', {}, { delayMs: 60_000 });
    await assert.rejects(t.jobs.replay(pending.id), JobStateError);

    const dead = await t.jobs.enqueue('dies', {});
    await waitFor(async () => (await state(dead.id)) === 'failed', { message: 'failed' });
    const replayed = await t.jobs.replay(dead.id);
    assert.equal(replayed.state, 'pending');
    assert.equal(replayed.attempts, 0);
    assert.equal(replayed.replays, 1);
    await waitFor(async () => (await state(dead.id)) === 'failed', { message: 'failed again' });
    const history = (await t.jobs.get(dead.id))!.attemptHistory;
    assert.deepEqual(
      history.map((a) => [a.replay, a.attempt, a.outcome]),
      [
        [0, 1, 'failed'],
        [1, 1, 'failed'],
      ],
    );
  });

  it('canceling a running job aborts its signal and refuses its late completion', async () => {
    const job = await t.jobs.enqueue('gated', { key: 'c' });
    await waitFor(() => gates.has('c'), { message: 'handler start' });
    const canceled = await t.jobs.cancel(job.id);
    assert.equal(canceled.state, 'canceled');
    await waitFor(() => aborted.has('c'), { message: 'signal aborted' });
    await waitFor(() => t.runner.runningCount() === 0, { message: 'slot freed' });
    const read = await t.jobs.get(job.id);
    assert.equal(read?.state, 'canceled');
    assert.deepEqual(
      read?.attemptHistory.map((a) => a.outcome),
      ['canceled'],
    );
  });

  it('unknown ids are not found', async () => {
    assert.equal(await t.jobs.get('999999999'), null);
    assert.equal(await t.jobs.get('not-a-number'), null);
    await assert.rejects(t.jobs.cancel('999999999'), JobNotFoundError);
    await assert.rejects(t.jobs.replay('abc'), JobNotFoundError);
  });
});
