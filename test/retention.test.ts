import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidJobOptionsError, JobHandler, PermanentJobError, type Job } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

@Injectable()
@JobHandler('ret.job')
class RetentionHandler {
  async handle(job: Job<{ fail?: boolean }>): Promise<void> {
    if (job.payload.fail) throw new PermanentJobError('dead on purpose');
  }
}

describe('retention of finished jobs', () => {
  const pool = assertionPool();
  let t: TestApp;

  const exists = async (id: string) =>
    (await pool.query(`SELECT 1 FROM "${t.schema}".jobs WHERE id = $1`, [id])).rowCount === 1;
  const stateOf = async (id: string) =>
    (await pool.query<{ state: string }>(`SELECT state FROM "${t.schema}".jobs WHERE id = $1`, [id])).rows[0]?.state;
  const historyRows = async (id: string) =>
    (await pool.query(`SELECT 1 FROM "${t.schema}".job_attempts WHERE job_id = $1`, [id])).rowCount;

  before(async () => {
    t = await createTestApp([RetentionHandler], {
      // Completed and canceled jobs go at once; dead letters stay; the `keep` queue keeps everything.
      retention: { completedMs: 0, failedMs: null, canceledMs: 0 },
      queues: { keep: { retention: { completedMs: null, canceledMs: null } } },
      idempotencyWindowMs: 60 * 60_000,
    });
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('prunes each finished state after its keep-time, per queue, with the history; keeps held keys', async () => {
    const done = await t.jobs.enqueue('ret.job', {});
    const dead = await t.jobs.enqueue('ret.job', { fail: true });
    const canceled = await t.jobs.enqueue('ret.job', {}, { delayMs: 60_000 });
    await t.jobs.cancel(canceled.id);
    const kept = await t.jobs.enqueue('ret.job', {}, { queue: 'keep' });
    const keyed = await t.jobs.enqueue('ret.job', {}, { idempotencyKey: 'ret-key' });
    const waiting = await t.jobs.enqueue('ret.job', {}, { delayMs: 60_000 });

    await waitFor(async () => !(await exists(done.id)) && !(await exists(canceled.id)), {
      message: 'the completed and canceled jobs to be pruned',
    });
    assert.equal(await stateOf(dead.id), 'failed', 'dead letters are kept (failedMs: null)');
    assert.ok((await historyRows(dead.id))! > 0);
    assert.equal(await stateOf(kept.id), 'completed', "the keep queue's own retention keeps it");
    assert.equal(await stateOf(keyed.id), 'completed', 'a job whose idempotency key is held is kept');
    assert.equal(await stateOf(waiting.id), 'scheduled', 'unfinished jobs are never pruned');
    // A held key still returns its job.
    const again = await t.jobs.enqueue('ret.job', {}, { idempotencyKey: 'ret-key' });
    assert.deepEqual([again.id, again.created], [keyed.id, false]);
  });

  it('prunes audit rows older than auditRetentionMs (90 days by default), oldest first', async () => {
    const audit = `"${t.schema}".audit_log`;
    const old = await pool.query<{ id: string }>(
      `INSERT INTO ${audit} (at, actor, action, target) VALUES (now() - interval '91 days', 'test', 'clean', 'old')
       RETURNING id::text`,
    );
    const recent = await pool.query<{ id: string }>(
      `INSERT INTO ${audit} (at, actor, action, target) VALUES (now() - interval '89 days', 'test', 'clean', 'recent')
       RETURNING id::text`,
    );
    const present = async (id: string) =>
      (await pool.query(`SELECT 1 FROM ${audit} WHERE id = $1`, [id])).rowCount === 1;
    await waitFor(async () => !(await present(old.rows[0].id)), { message: 'the 91-day-old audit row to be pruned' });
    assert.ok(await present(recent.rows[0].id), 'an 89-day-old row is kept');
  });

  it('refuses a bad keep-time at start, naming the option', async () => {
    await assert.rejects(
      createTestApp([RetentionHandler], { schema: uniqueSchema(), retention: { completedMs: -1 } }),
      (err: unknown) => err instanceof InvalidJobOptionsError && err.field === 'retention.completedMs',
    );
    await assert.rejects(
      createTestApp([RetentionHandler], {
        schema: uniqueSchema(),
        queues: { q: { retention: { failedMs: 1.5 } } },
      }),
      (err: unknown) => err instanceof InvalidJobOptionsError && err.field === 'queues.q.retention.failedMs',
    );
  });
});
