import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { DataSource, type EntityManager } from 'typeorm';
import { InvalidJobOptionsError, JobHandler, type Job } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { deferred, waitFor } from './support/wait';

/** When each job's handler started, by payload name. */
const started = new Map<string, number>();

@Injectable()
@JobHandler('tx.recorded')
class RecordedHandler {
  async handle(job: Job<{ name: string }>): Promise<void> {
    started.set(job.payload.name, Date.now());
  }
}

describe('transactional enqueue (the caller’s EntityManager)', () => {
  const pool = assertionPool();
  let t: TestApp;
  let dataSource: DataSource;

  const count = async (): Promise<number> =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t.schema}".jobs`)).rows[0].n;
  const stateOf = async (id: string): Promise<string | undefined> =>
    (await pool.query<{ state: string }>(`SELECT state FROM "${t.schema}".jobs WHERE id = $1`, [id])).rows[0]?.state;

  before(async () => {
    // Polling once a minute: within a test, only the commit's NOTIFY can wake the worker.
    t = await createTestApp([RecordedHandler], { pollIntervalMs: 60_000 });
    dataSource = t.app.get(DataSource);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('a rolled-back transaction leaves no job, and its handler never runs', async () => {
    const before = await count();
    await assert.rejects(
      dataSource.transaction(async (manager) => {
        const job = await t.jobs.enqueue('tx.recorded', { name: 'rolled-back' }, { manager });
        assert.equal(job.created, true);
        assert.equal(job.state, 'pending');
        const many = await t.jobs.enqueueMany(
          [
            { type: 'tx.recorded', payload: { name: 'rolled-back-2' } },
            { type: 'tx.recorded', payload: { name: 'rolled-back-3' }, idempotencyKey: 'tx-rb' },
          ],
          { manager },
        );
        assert.equal(many.length, 2);
        throw new Error('business rule failed');
      }),
      /business rule failed/,
    );
    assert.equal(await count(), before, 'no row survives the rollback');
    // The key of a rolled-back job was never taken.
    const reused = await t.jobs.enqueue('tx.recorded', { name: 'after-rollback' }, { idempotencyKey: 'tx-rb' });
    assert.equal(reused.created, true);
    await waitFor(async () => (await stateOf(reused.id)) === 'completed', { message: 'the later job to complete' });
    assert.equal(started.has('rolled-back'), false);
    assert.equal(started.has('rolled-back-2'), false);
    assert.equal(started.has('rolled-back-3'), false);
  });

  it('a job is invisible and unclaimed until the commit, whose NOTIFY wakes a worker at once', async () => {
    const inserted = deferred<Job>();
    const commit = deferred();
    const transaction = dataSource.transaction(async (manager) => {
      const job = await t.jobs.enqueue('tx.recorded', { name: 'held-open' }, { manager });
      inserted.resolve(job);
      await commit.promise;
    });
    const job = await inserted.promise;
    assert.equal(await stateOf(job.id), undefined, 'another connection does not see the row');
    t.runner.wakeAll(); // a claim while the transaction is open finds nothing
    // A negative check needs time to pass: the worker had every chance to claim it.
    await sleep(300);
    assert.equal(started.has('held-open'), false, 'the handler did not run before the commit');
    assert.equal(await stateOf(job.id), undefined);

    commit.resolve();
    await transaction;
    const committedAt = Date.now();
    const startedAt = await waitFor(() => started.get('held-open'), { message: 'the handler to start' });
    const latency = startedAt - committedAt;
    assert.ok(latency < 1_000, `started ${latency} ms after the commit (the poll interval is 60 s)`);
    await waitFor(async () => (await stateOf(job.id)) === 'completed', { message: 'the job to complete' });
  });

  it('enqueueMany in a committed transaction runs every job; keys are seen inside the transaction', async () => {
    const { jobs, again } = await dataSource.transaction(async (manager) => {
      const jobs = await t.jobs.enqueueMany(
        [
          { type: 'tx.recorded', payload: { name: 'many-1' } },
          { type: 'tx.recorded', payload: { name: 'many-2' }, idempotencyKey: 'tx-many' },
        ],
        { manager },
      );
      const again = await t.jobs.enqueue('tx.recorded', { name: 'many-dup' }, { manager, idempotencyKey: 'tx-many' });
      return { jobs, again };
    });
    assert.deepEqual(
      jobs.map((j) => j.created),
      [true, true],
    );
    assert.equal(again.created, false);
    assert.equal(again.id, jobs[1].id);
    for (const job of jobs) {
      await waitFor(async () => (await stateOf(job.id)) === 'completed', { message: `job ${job.id} to complete` });
    }
    assert.equal(started.has('many-dup'), false);
  });

  it('rejects a manager that is not a PostgreSQL transaction, naming manager, and writes nothing', async () => {
    const before = await count();
    const fakeMysql = {
      query: async () => [],
      connection: { options: { type: 'mysql' } },
      queryRunner: { isTransactionActive: true },
    } as unknown as EntityManager;
    const cases: Array<[string, unknown]> = [
      ['a MySQL manager', fakeMysql],
      ['a manager outside a transaction', dataSource.manager],
      ['a plain object', {}],
      ['null', null],
    ];
    for (const [name, manager] of cases) {
      await assert.rejects(
        t.jobs.enqueue('tx.recorded', { name }, { manager: manager as EntityManager }),
        (err: unknown) => {
          assert.ok(err instanceof InvalidJobOptionsError, `${name}: ${String(err)}`);
          assert.equal(err.field, 'manager', name);
          return true;
        },
      );
      await assert.rejects(
        t.jobs.enqueueMany([{ type: 'tx.recorded', payload: { name } }], { manager: manager as EntityManager }),
        (err: unknown) => err instanceof InvalidJobOptionsError && err.field === 'manager',
      );
    }
    assert.equal(await count(), before);
  });
});
