import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { completeStatement, renewStatement, schemaNames } from './support/internals';
import { explainPrune, explainRolledBack } from './support/plans';

/**
 * The batch writes of a node's attempts (complete, release, renew) find their rows by id and check
 * each against its attempt key without a join, whatever the statistics say. Here the table was analyzed while another node owned the
 * running jobs, so the planner believes this node owns one running row: the plan that trusted it
 * scanned the running-jobs index and compared every running row with every id (after a
 * 1,000,000-job soak, 400-800 ms for 500 completions).
 */
describe('batch writes of owned attempts: no join of ids and running rows, whatever the statistics', () => {
  const pool = assertionPool();
  let t: TestApp;
  let ids: string[];

  before(async () => {
    t = await createTestApp([], { workers: false, allowUnknownTypes: true });
    const jobs = `"${t.schema}".jobs`;
    await pool.query(
      `INSERT INTO ${jobs} (queue, type, payload, max_attempts, state, attempts, finished_at)
       SELECT 'q', 't', '{}', 3, 'completed', 1, now() FROM generate_series(1, 20000)`,
    );
    const running = (owner: string) =>
      pool.query<{ id: string }>(
        `INSERT INTO ${jobs} (queue, type, payload, max_attempts, state, attempts, locked_by, locked_until, started_at)
         SELECT 'q', 't', '{}', 3, 'running', 1, $1, now() + interval '1 hour', now() FROM generate_series(1, 1000)
         RETURNING id`,
        [owner],
      );
    await running('node-a');
    await pool.query(`ANALYZE ${jobs}`); // statistics: node-a owns the running jobs
    ids = (await running('node-b')).rows.map((r) => r.id);
  });

  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  function assertNoJoin(plan: string, rows: number, tc: { diagnostic(msg: string): void }): void {
    for (const line of plan.split('\n')) tc.diagnostic(line);
    assert.doesNotMatch(plan, /Nested Loop|Join Filter/, 'no running row compared with every id');
    assert.doesNotMatch(plan, /jobs_running_idx/, 'the running-jobs index is not scanned');
    assert.match(plan, new RegExp(`Update on jobs j .*\\(actual time=\\S+ rows=${rows} `));
  }

  it('completing 500 of the node’s 1,000 running jobs', async (tc) => {
    const batch = ids.slice(0, 500);
    const plan = await explainRolledBack(pool, completeStatement(schemaNames(t.schema)).text, [
      batch,
      batch.map((id) => `${id}:1`),
      'node-b',
    ]);
    assertNoJoin(plan, 500, tc);
  });

  it('renewing the leases of all 1,000', async (tc) => {
    const plan = await explainRolledBack(pool, renewStatement(schemaNames(t.schema)).text, [
      ids,
      ids.map((id) => `${id}:1`),
      'node-b',
      30_000,
    ]);
    assertNoJoin(plan, 1_000, tc);
  });
});

/**
 * The retention prune on a table filled in bulk and never analyzed: with no statistics the planner
 * took the (state, id) index and read every completed job to find none due. It must walk the
 * finished-jobs index from its oldest end whatever the statistics.
 */
describe('the retention prune on a never-analyzed table', () => {
  const pool = assertionPool();
  let t: TestApp;

  before(async () => {
    t = await createTestApp([], { workers: false, allowUnknownTypes: true });
    await pool.query(`ALTER TABLE "${t.schema}".jobs SET (autovacuum_enabled = false)`);
    await pool.query(
      `INSERT INTO "${t.schema}".jobs (queue, type, payload, max_attempts, state, attempts, finished_at)
       SELECT 'q', 't', jsonb_build_object('n', g), 3, 'completed', 1, now() - g * interval '1 second'
       FROM generate_series(1, 100000) g`,
    );
  });

  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('reads a few index pages when nothing is due, and the oldest 1,000 when they are', async (tc) => {
    const none = await explainPrune(pool, t.schema, 2 * 86_400_000);
    for (const line of none.split('\n')) tc.diagnostic(line);
    assert.match(none, /Index Scan using jobs_finished_list_idx/);
    const buffers = Number(/Buffers: shared hit=(\d+)(?: read=(\d+))?/.exec(none)?.[1] ?? 0);
    assert.ok(buffers < 100, `a round with nothing due read ${buffers} buffers`);
    const due = await explainPrune(pool, t.schema, 60_000); // all but the newest minute: the oldest 1,000 go
    assert.match(due, /Index Scan using jobs_finished_list_idx/);
    assert.match(due, /Limit .*\(actual time=\S+ rows=1000 /);
  });
});
