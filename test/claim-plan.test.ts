import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { claimStatement, schemaNames } from './support/internals';
import { nestedPlans } from './support/plans';

const ROWS = 200_000;

/**
 * The claim's plan must not depend on planner statistics. A table filled in bulk right after it was
 * created has none until something analyzes it (and on a server with autovacuum off, or one that
 * lags, nothing may for a long while): planned on such a table, the claim's plain statement became a
 * bitmap scan and a sort of every pending row (measured: about a second per claim on a million
 * jobs, 18 jobs/s). The claim function (migration 5) keeps bitmap and sequential scans out, so the
 * ready index, already in claim order, is read for just the jobs it takes.
 */
describe('the claim plan on a table that was never analyzed', () => {
  const pool = assertionPool();
  let t: TestApp;

  before(async () => {
    t = await createTestApp([], { workers: false, allowUnknownTypes: true });
    await pool.query(
      `INSERT INTO "${t.schema}".jobs (queue, type, payload, max_attempts)
       SELECT 'bulk', 'bulk.job', jsonb_build_object('n', g), 5 FROM generate_series(1, $1::int) g`,
      [ROWS],
    );
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('reads the ready index in claim order, with no sort and no bitmap scan', async (tc) => {
    const stats = await pool.query<{ reltuples: number; analyzed: boolean }>(
      `SELECT c.reltuples, s.last_analyze IS NOT NULL OR s.last_autoanalyze IS NOT NULL AS analyzed
       FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
       WHERE c.oid = $1::regclass`,
      [`"${t.schema}".jobs`],
    );
    assert.deepEqual(stats.rows[0], { reltuples: -1, analyzed: false }, 'the table has no statistics');

    // The same query as a plain statement: on PostgreSQL 15 here it sorts every pending row (a
    // bitmap scan, then a top-N sort); other versions may guess better. Shown, not asserted.
    const bare = await nestedPlans(pool, async (client) => {
      await client.query(
        `SELECT id FROM "${t.schema}".jobs WHERE state = 'pending' AND queue = 'bulk' AND type = ANY('{bulk.job}')
         ORDER BY priority DESC, run_at, id LIMIT 100`,
      );
    });
    if (!bare) return tc.skip('auto_explain needs a superuser');
    tc.diagnostic(`plain statement:\n${bare.join('\n')}`);

    const claim = claimStatement(schemaNames(t.schema));
    let claimed = 0;
    const plans = await nestedPlans(pool, async (client) => {
      await client.query('BEGIN');
      claimed = (await client.query({ text: claim.text, values: ['bulk', ['bulk.job'], 100, 'plan', 30_000] }))
        .rowCount!;
      await client.query('ROLLBACK');
    });
    const plan = plans!.find((p) => p.includes('jobs_ready_idx')) ?? plans!.join('\n---\n');
    tc.diagnostic(`claim:\n${plan}`);
    assert.equal(claimed, 100);
    assert.doesNotMatch(plan, /Bitmap/, plan);
    // The ready index, read in its order, stopped after the jobs it took instead of reading all of
    // them (the only sort left orders the 100 taken rows for the window function).
    const scanned = /Index Scan using jobs_ready_idx[^\n]*actual rows=(\d+)/.exec(plan);
    assert.ok(scanned && Number(scanned[1]) <= 100, `the ready index read ${scanned?.[1]} rows: ${plan}`);
    assert.doesNotMatch(plan, /Sort[^\n]*\n(\s+Sort[^\n]*\n)*[^\n]*actual rows=[0-9]{4,}/, plan);
  });
});
