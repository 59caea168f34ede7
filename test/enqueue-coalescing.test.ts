import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Job } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { JOBS_STORAGE, type JobsStorage } from './support/internals';

const CALLERS = 16;

/**
 * Single enqueues made at the same time share one insert statement (and so one commit), each
 * caller's promise resolving only once its own job is committed, and each error reaching only its
 * own caller.
 */
describe('concurrent single enqueues are coalesced', () => {
  const pool = assertionPool();
  let t: TestApp;
  /** Rows per insert statement the node sent, in order. */
  const statements: number[] = [];

  before(async () => {
    t = await createTestApp([], { workers: false, allowUnknownTypes: true });
    const jobs = t.app.get<JobsStorage>(JOBS_STORAGE).jobs;
    const insertOne = jobs.insertOne.bind(jobs);
    const insertMany = jobs.insertMany.bind(jobs);
    jobs.insertOne = (row, on) => {
      statements.push(1);
      return insertOne(row, on);
    };
    jobs.insertMany = (rows, on) => {
      statements.push(rows.length);
      return insertMany(rows, on);
    };
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  /** The job as another connection sees it: committed, or undefined. */
  const committed = async (id: string) =>
    (await pool.query<{ id: string }>(`SELECT id FROM "${t.schema}".jobs WHERE id = $1`, [id])).rows[0];

  it('16 callers at once: one statement for all of them, each resolved after its own commit', async () => {
    statements.length = 0;
    const seenCommitted: Array<boolean> = [];
    const jobs = await Promise.all(
      Array.from({ length: CALLERS }, (_, n) =>
        t.jobs.enqueue('coalesce.job', { n }).then(async (job) => {
          // Read from another connection the moment the promise resolves.
          seenCommitted[n] = (await committed(job.id)) !== undefined;
          return job;
        }),
      ),
    );
    assert.deepEqual(statements, [CALLERS], 'one insert statement carried every job');
    assert.deepEqual(
      seenCommitted,
      Array<boolean>(CALLERS).fill(true),
      'each job was committed when its promise resolved',
    );
    assert.equal(new Set(jobs.map((j) => j.id)).size, CALLERS, 'each caller got its own job');
    jobs.forEach((job: Job<{ n: number }>, n) => {
      assert.deepEqual(job.payload, { n });
      assert.equal(job.state, 'pending');
    });
  });

  it('keeps going one statement per batch while inserts are in flight, never one per caller', async () => {
    statements.length = 0;
    const waves = 5;
    await Promise.all(
      Array.from({ length: waves }, async (_, w) => {
        for (let i = 0; i < 20; i++) await t.jobs.enqueue('coalesce.job', { w, i });
      }),
    );
    assert.equal(
      statements.reduce((a, b) => a + b, 0),
      waves * 20,
    );
    assert.ok(statements.length < waves * 20, `${statements.length} statements for ${waves * 20} jobs`);
  });

  it("a row the database refuses fails only its own caller: the others' jobs are written", async () => {
    // A rule the input checks do not know about: only the database refuses the poisoned row.
    await pool.query(
      `ALTER TABLE "${t.schema}".jobs ADD CONSTRAINT coalesce_no_poison CHECK (payload->>'poison' IS NULL)`,
    );
    try {
      statements.length = 0;
      const results = await Promise.allSettled(
        Array.from({ length: CALLERS }, (_, n) =>
          t.jobs.enqueue('coalesce.job', n === 7 ? { n, poison: true } : { n }),
        ),
      );
      const rejected = results.flatMap((r, n) => (r.status === 'rejected' ? [n] : []));
      assert.deepEqual(rejected, [7], 'only the poisoned caller failed');
      assert.match(String((results[7] as PromiseRejectedResult).reason), /coalesce_no_poison/);
      for (const r of results) {
        if (r.status === 'fulfilled') assert.ok(await committed(r.value.id), `job ${r.value.id} is written`);
      }
      assert.equal(statements[0], CALLERS, 'they were tried as one statement first');
    } finally {
      await pool.query(`ALTER TABLE "${t.schema}".jobs DROP CONSTRAINT coalesce_no_poison`);
    }
  });
});
