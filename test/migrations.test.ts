import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createJobsMigrations, LATEST_SCHEMA_VERSION } from 'nest-pg-jobs';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { runMigrations, schemaVersion } from './support/internals';

/*
 * The two ways of migrating a schema, the module's runner (`migrationsRun`) and the host's TypeORM
 * migrations (`createJobsMigrations`), know each other's work: switching from one to the other, in
 * either direction, and running several of them at once all leave each step applied exactly once.
 */
const ALL_VERSIONS = Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1);
type TransactionMode = 'all' | 'each' | 'none';

describe('migrations: the runner and the host TypeORM migrations', () => {
  const pool = assertionPool();
  const schemas: string[] = [];
  const typeormTables: string[] = [];
  const dataSources: DataSource[] = [];

  after(async () => {
    for (const ds of dataSources) if (ds.isInitialized) await ds.destroy();
    for (const schema of schemas) await dropSchema(pool, schema);
    for (const table of typeormTables) await pool.query(`DROP TABLE IF EXISTS public."${table}"`);
    await pool.end();
  });

  const newSchema = (): string => {
    const schema = uniqueSchema('mig');
    schemas.push(schema);
    typeormTables.push(`${schema}_typeorm_migrations`);
    return schema;
  };

  /** A host DataSource whose migrations are the module's, as a host application configures it. */
  const hostDataSource = async (schema: string, mode: TransactionMode = 'all'): Promise<DataSource> => {
    const ds = new DataSource({
      type: 'postgres',
      url: databaseUrl(),
      extra: { max: 2 },
      migrations: createJobsMigrations(schema),
      migrationsTableName: `${schema}_typeorm_migrations`,
      migrationsTransactionMode: mode,
    });
    dataSources.push(ds);
    return ds.initialize();
  };

  /** `[version, times recorded]` of the module's own version table. */
  const recorded = async (schema: string): Promise<Array<[number, number]>> =>
    (
      await pool.query<{ version: number; n: number }>(
        `SELECT version, count(*)::int AS n FROM "${schema}".schema_migrations GROUP BY version ORDER BY version`,
      )
    ).rows.map((r) => [r.version, r.n]);

  const eachOnce = ALL_VERSIONS.map((v) => [v, 1]);

  const jobTypes = async (schema: string): Promise<string[]> =>
    (await pool.query<{ type: string }>(`SELECT type FROM "${schema}".jobs ORDER BY id`)).rows.map((r) => r.type);

  it('runner -> TypeORM migrations -> revert one -> runner: every step once, the jobs kept', async () => {
    const schema = newSchema();
    assert.deepEqual(await runMigrations(pool, schema), ALL_VERSIONS);
    await pool.query(`INSERT INTO "${schema}".jobs (queue, type, payload, max_attempts) VALUES ('q', 'kept', '{}', 1)`);

    // The host moves to its own TypeORM migrations: they find every step done and only record them.
    const host = await hostDataSource(schema);
    const ran = await host.runMigrations();
    assert.equal(ran.length, LATEST_SCHEMA_VERSION, 'TypeORM recorded every step as run');
    assert.equal(await host.showMigrations(), false, 'nothing left pending for TypeORM');
    assert.deepEqual(await recorded(schema), eachOnce);
    assert.deepEqual(await jobTypes(schema), ['kept'], 'no step ran again over the existing tables');

    // TypeORM reverts the last step; the runner, back in charge, applies it again.
    await host.undoLastMigration();
    assert.equal(await schemaVersion(pool, schema), LATEST_SCHEMA_VERSION - 1);
    await host.destroy();
    assert.deepEqual(await runMigrations(pool, schema), [LATEST_SCHEMA_VERSION]);
    assert.deepEqual(await recorded(schema), eachOnce);
    assert.deepEqual(await jobTypes(schema), ['kept']);
  });

  it('TypeORM migrations -> runner -> TypeORM migrations: nothing is applied twice', async () => {
    const schema = newSchema();
    const first = await hostDataSource(schema, 'each');
    assert.equal((await first.runMigrations()).length, LATEST_SCHEMA_VERSION);
    await first.destroy();
    assert.deepEqual(await runMigrations(pool, schema), [], 'the runner finds the schema up to date');

    // Another host instance (a new deploy) finds nothing to do.
    const second = await hostDataSource(schema, 'each');
    assert.deepEqual(await second.runMigrations(), []);
    assert.deepEqual(await recorded(schema), eachOnce);
  });

  for (const mode of ['all', 'each', 'none'] as const) {
    it(`two instances run the TypeORM migrations at once on a fresh schema (transaction mode '${mode}')`, async () => {
      const schema = newSchema();
      const [a, b] = await Promise.all([hostDataSource(schema, mode), hostDataSource(schema, mode)]);
      // TypeORM creates its own bookkeeping table without a lock: an application that already ran
      // its migrations once has it. What is under test is the module's steps.
      assert.equal(await a.showMigrations(), true);

      const results = await Promise.allSettled([a.runMigrations(), b.runMigrations()]);
      for (const r of results) assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
      assert.deepEqual(await recorded(schema), eachOnce);
      assert.equal(await schemaVersion(pool, schema), LATEST_SCHEMA_VERSION);
      assert.equal(await a.showMigrations(), false);
      assert.equal(await b.showMigrations(), false);
    });
  }

  it('the runner and the TypeORM migrations at once on a fresh schema', async () => {
    const schema = newSchema();
    const host = await hostDataSource(schema, 'each');
    assert.equal(await host.showMigrations(), true);
    const runnerPool = new Pool({ connectionString: databaseUrl(), max: 2 });
    try {
      const [applied, ran] = await Promise.all([runMigrations(runnerPool, schema), host.runMigrations()]);
      assert.equal(ran.length, LATEST_SCHEMA_VERSION, 'TypeORM recorded every step');
      assert.ok(
        applied.every((v) => ALL_VERSIONS.includes(v)),
        `runner applied ${JSON.stringify(applied)}`,
      );
    } finally {
      await runnerPool.end();
    }
    assert.deepEqual(await recorded(schema), eachOnce);
  });

  it('a TypeORM revert of a step that is not recorded leaves the schema alone', async () => {
    const schema = newSchema();
    const host = await hostDataSource(schema, 'none');
    await host.runMigrations();
    // Someone removed the record of the last step (say, by restoring an older backup of the table).
    await pool.query(`DELETE FROM "${schema}".schema_migrations WHERE version = $1`, [LATEST_SCHEMA_VERSION]);
    await host.undoLastMigration();
    assert.deepEqual(await recorded(schema), eachOnce.slice(0, -1), 'the other steps are untouched');
    // The last step's down() would have renamed the nodes table back: it did not run.
    const nodes = await pool.query('SELECT to_regclass($1)::text AS t', [`"${schema}".nodes`]);
    assert.equal(nodes.rows[0].t, `${schema}.nodes`);
  });
});
