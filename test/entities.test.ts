import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { createJobsEntities, createJobsMigrations, LATEST_SCHEMA_VERSION, type JobRow } from 'nest-pg-jobs';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from './support/database';

describe('entities and TypeORM migrations', () => {
  const pool = assertionPool();
  const schema = uniqueSchema();
  let ds: DataSource;

  before(async () => {
    ds = new DataSource({
      type: 'postgres',
      url: databaseUrl(),
      entities: createJobsEntities(schema),
      migrations: createJobsMigrations(schema),
      migrationsTableName: `${schema}_typeorm_migrations`,
    });
    await ds.initialize();
  });
  after(async () => {
    await ds.query(`DROP TABLE IF EXISTS "${schema}_typeorm_migrations"`);
    await ds.destroy();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it("the host's TypeORM runs the module's migrations and reads jobs through the entities", async () => {
    const ran = await ds.runMigrations();
    assert.equal(ran.length, LATEST_SCHEMA_VERSION);
    const version = await pool.query(`SELECT version FROM "${schema}".schema_migrations`);
    assert.deepEqual(
      version.rows.map((r) => r.version),
      Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1),
    );
    await pool.query(
      `INSERT INTO "${schema}".jobs (queue, type, payload, max_attempts) VALUES ('default', 'email', '{"to":"a"}', 3)`,
    );
    const jobs = await ds.getRepository<JobRow>('Job').find({ where: { state: 'pending' } });
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].type, 'email');
    assert.deepEqual(jobs[0].payload, { to: 'a' });
    assert.equal(await ds.getRepository('JobAttempt').count(), 0);
    await ds.undoLastMigration();
    const afterOne = await pool.query(`SELECT max(version) AS v FROM "${schema}".schema_migrations`);
    assert.equal(afterOne.rows[0].v, LATEST_SCHEMA_VERSION - 1);
    for (let v = LATEST_SCHEMA_VERSION - 1; v >= 1; v--) await ds.undoLastMigration();
    const gone = await pool.query('SELECT to_regclass($1) AS t', [`"${schema}".jobs`]);
    assert.equal(gone.rows[0].t, null);
  });
});
