import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobHandler, type Job } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, countByState } from './support/database';
import { JOBS_STORAGE, type JobsStorage } from './support/internals';
import { deferred, waitFor } from './support/wait';

let inFlight = 0;
let maxInFlight = 0;
const ran: string[] = [];
let gate = deferred();

@Injectable()
@JobHandler('direct.job', { queue: 'direct' })
class DirectHandler {
  async handle(job: Job<{ name: string; hold?: boolean }>): Promise<void> {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    ran.push(job.payload.name);
    if (job.payload.hold) await gate.promise;
    inFlight -= 1;
  }
}

/**
 * An enqueue on a node whose queue is idle (a free slot, nothing waiting) inserts the job already
 * started and runs it: no claim round trip between the enqueue and the start. Everything else goes
 * the usual way.
 */
describe('jobs started by their enqueue', () => {
  const pool = assertionPool();
  let t: TestApp;
  let claims = 0;

  before(async () => {
    t = await createTestApp([DirectHandler], { queues: { direct: { concurrency: 4 } }, pollIntervalMs: 60_000 });
    const attempts = t.app.get<JobsStorage>(JOBS_STORAGE).attempts;
    const claim = attempts.claim.bind(attempts);
    attempts.claim = (...args) => {
      claims += 1;
      return claim(...args);
    };
  });
  after(async () => {
    gate.resolve();
    await disposeTestApp(t, pool);
    await pool.end();
  });

  const state = async (id: string) =>
    (
      await pool.query<{ state: string; attempts: number; locked_by: string | null }>(
        `SELECT state, attempts, locked_by FROM "${t.schema}".jobs WHERE id = $1`,
        [id],
      )
    ).rows[0];

  it('an enqueue into an idle queue is running when enqueue returns, with no claim', async () => {
    claims = 0;
    gate = deferred();
    const job = await t.jobs.enqueue('direct.job', { name: 'one', hold: true });
    assert.equal(job.state, 'running');
    assert.equal(job.attempts, 1);
    assert.deepEqual(await state(job.id), { state: 'running', attempts: 1, locked_by: t.runner.nodeId });
    await waitFor(() => ran.includes('one'), { message: 'the handler to run' });
    assert.equal(claims, 0, 'no claim was needed');
    gate.resolve();
    await waitFor(async () => (await state(job.id)).state === 'completed', { message: 'completion' });
  });

  it('a burst never runs more handlers than the concurrency; the rest wait as pending and are claimed', async () => {
    maxInFlight = 0;
    gate = deferred();
    const jobs = await Promise.all(
      Array.from({ length: 30 }, (_, i) => t.jobs.enqueue('direct.job', { name: `b${i}`, hold: true })),
    );
    const started = jobs.filter((j) => j.state === 'running').length;
    assert.ok(started <= 4, `${started} jobs started by their enqueue`);
    await waitFor(() => inFlight === 4, { message: 'the 4 slots to fill' });
    gate.resolve();
    await waitFor(async () => (await countByState(pool, t.schema)).completed === 31, { message: 'all to complete' });
    assert.equal(maxInFlight, 4, 'never more than the concurrency at once');
  });

  it('a paused queue: the job is inserted pending and nothing runs until the queue resumes', async () => {
    await t.jobs.pauseQueue('direct');
    const job = await t.jobs.enqueue('direct.job', { name: 'paused' });
    assert.equal(job.state, 'pending');
    assert.deepEqual(await state(job.id), { state: 'pending', attempts: 0, locked_by: null });
    assert.equal(ran.includes('paused'), false);
    await t.jobs.resumeQueue('direct');
    await waitFor(async () => (await state(job.id)).state === 'completed', { message: 'the job to run after resume' });
  });

  it('a delayed job is not started by its enqueue', async () => {
    const job = await t.jobs.enqueue('direct.job', { name: 'later' }, { delayMs: 60_000 });
    assert.equal(job.state, 'scheduled');
    assert.equal((await state(job.id)).state, 'scheduled');
  });
});
