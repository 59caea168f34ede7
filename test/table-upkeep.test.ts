import { Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { JOBS_STORAGE, TableUpkeep, type JobsStorage } from './support/internals';
import { waitFor } from './support/wait';

interface Stats {
  dead: number;
  vacuumed: boolean;
  analyzed: boolean;
}

/**
 * Where autovacuum does not look after the module's tables (off on the server or the table, or far
 * behind), the nodes do: dead rows from state changes are vacuumed and changed tables analyzed.
 * Autovacuum is turned off for this test's table, so the check acts on every server.
 */
describe('table upkeep when autovacuum does not do it', () => {
  const pool = assertionPool();
  let t: TestApp;

  const stats = async (): Promise<Stats> =>
    (
      await pool.query<Stats>(
        `SELECT n_dead_tup::int AS dead, last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analyzed
         FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs'`,
        [t.schema],
      )
    ).rows[0];

  before(async () => {
    t = await createTestApp([], { workers: false, allowUnknownTypes: true });
    await pool.query(`ALTER TABLE "${t.schema}".jobs SET (autovacuum_enabled = false)`);
    await pool.query(
      `INSERT INTO "${t.schema}".jobs (queue, type, payload, max_attempts)
       SELECT 'up', 'up.job', '{}', 5 FROM generate_series(1, 30000)`,
    );
    // Every row changes state once: 30,000 dead row versions.
    await pool.query(`UPDATE "${t.schema}".jobs SET state = 'canceled', finished_at = now()`);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('vacuums and analyzes the jobs table once its dead rows pass the threshold', async () => {
    await waitFor(async () => (await stats()).dead >= 30_000, { message: 'the dead rows to be counted' });
    const before = await stats();
    assert.equal(before.vacuumed, false);
    const upkeep = new TableUpkeep(t.app.get<JobsStorage>(JOBS_STORAGE).maintenance, new Logger('test'));
    await upkeep.check();
    await waitFor(async () => (await stats()).vacuumed, { message: 'the vacuum to be recorded' });
    const after = await stats();
    assert.ok(after.dead < 1_000, `dead rows left: ${after.dead}`);
    assert.equal(after.analyzed, true);
  });

  it('a node that stops cancels its vacuum instead of waiting for it', async () => {
    await pool.query(`UPDATE "${t.schema}".jobs SET state = 'completed'`); // 30,000 dead rows again
    await waitFor(async () => (await stats()).dead >= 30_000, { message: 'the dead rows to be counted' });
    // A session holding the lock VACUUM needs: the upkeep's vacuum waits, as a long one would run.
    const blocker = await pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE "${t.schema}".jobs IN SHARE UPDATE EXCLUSIVE MODE`);
      const vacuums = async (): Promise<number> =>
        (
          await pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`,
            [`VACUUM (ANALYZE) "${t.schema}".%`],
          )
        ).rows[0].n;
      const upkeep = new TableUpkeep(t.app.get<JobsStorage>(JOBS_STORAGE).maintenance, new Logger('test'));
      const checked = upkeep.check();
      await waitFor(async () => (await vacuums()) === 1, { message: 'the vacuum to be under way' });
      const started = Date.now();
      const stopped = await Promise.race([upkeep.stop().then(() => true), sleep(5_000).then(() => false)]);
      assert.ok(stopped, 'stop() still waits for the vacuum after 5 s');
      await checked;
      const stopMs = Date.now() - started;
      assert.ok(stopMs < 2_000, `stop() took ${stopMs} ms with a vacuum under way`);
      await waitFor(async () => (await vacuums()) === 0, { message: 'the vacuum to be gone from the server' });
    } finally {
      await blocker.query('ROLLBACK'); // lets a vacuum that was not canceled finish
      blocker.release();
    }
  });

  it('with autovacuum on, a table it has not got to yet is left to it', async (ctx) => {
    const on = (await pool.query<{ on: boolean }>(`SELECT current_setting('autovacuum')::boolean AS on`)).rows[0].on;
    if (!on) return ctx.skip("autovacuum is off on this server: every table is the nodes' to look after");
    // A fresh schema whose jobs table autovacuum has never vacuumed, with 30,000 dead rows: the node
    // leaves it to autovacuum (its naptime is a minute) instead of running a second vacuum beside it.
    const av = await createTestApp([], { workers: false, allowUnknownTypes: true });
    try {
      await pool.query(
        `INSERT INTO "${av.schema}".jobs (queue, type, payload, max_attempts)
         SELECT 'up', 'up.job', '{}', 5 FROM generate_series(1, 30000)`,
      );
      await pool.query(`UPDATE "${av.schema}".jobs SET state = 'canceled', finished_at = now()`);
      const counted = async () =>
        (
          await pool.query<{ dead: number; vacuumed: boolean }>(
            `SELECT n_dead_tup::int AS dead, last_vacuum IS NOT NULL AS vacuumed
             FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs'`,
            [av.schema],
          )
        ).rows[0];
      await waitFor(async () => (await counted()).dead >= 30_000, { message: 'the dead rows to be counted' });
      const upkeep = new TableUpkeep(av.app.get<JobsStorage>(JOBS_STORAGE).maintenance, new Logger('test'));
      await upkeep.check();
      await upkeep.stop();
      assert.equal((await counted()).vacuumed, false, 'the node vacuumed a table autovacuum looks after');
    } finally {
      await disposeTestApp(av, pool);
    }
  });
});
