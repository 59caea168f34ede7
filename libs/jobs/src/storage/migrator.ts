import type { Pool, PoolClient } from 'pg';
import { JobsSchemaError } from '../errors';
import { JOBS_MIGRATION_STEPS, LATEST_SCHEMA_VERSION, migrationLockKey, stepSql } from './migrations';
import { quoteSchema } from './schema-name';

type Queryable = Pick<PoolClient, 'query'>;

/** The schema version recorded in `<schema>.schema_migrations`, or 0 when there is none. */
export async function schemaVersion(db: Queryable, schema: string): Promise<number> {
  const table = `${quoteSchema(schema)}.schema_migrations`;
  const found = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
  if (!found.rows[0].t) return 0;
  const res = await db.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${table}`);
  return res.rows[0].v ?? 0;
}

/**
 * Applies the missing migration steps, each in its own transaction, while holding a
 * session-level advisory lock, so nodes starting at once apply each step exactly once. The host's
 * TypeORM migrations (`createJobsMigrations`) take the same lock and record steps in the same table.
 * Returns the versions applied.
 */
export async function runMigrations(pool: Pool, schema: string): Promise<number[]> {
  const quoted = quoteSchema(schema);
  const client = await pool.connect();
  // A checked-out client's errors are not the pool's to catch: a connection dropping here must fail
  // the start-up, not end the process with an unhandled 'error' event (see Database.transaction).
  let lost: Error | undefined;
  const onError = (err: Error) => (lost = err);
  client.on('error', onError);
  const lockKey = migrationLockKey(schema);
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
    const current = await schemaVersion(client, schema);
    for (const step of JOBS_MIGRATION_STEPS.filter((s) => s.version > current)) {
      await client.query('BEGIN');
      try {
        for (const sql of stepSql(step, quoted)) await client.query(sql);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      applied.push(step.version);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
    client.removeListener('error', onError);
    client.release(lost);
  }
  return applied;
}

/** Fails fast, with what to do, when the schema is missing or not at the version this code needs. */
export async function assertSchemaVersion(pool: Pool, schema: string): Promise<void> {
  const version = await schemaVersion(pool as unknown as Queryable, schema);
  if (version === LATEST_SCHEMA_VERSION) return;
  if (version > LATEST_SCHEMA_VERSION) {
    throw new JobsSchemaError(
      `Schema "${schema}" is at version ${version}, newer than this module (${LATEST_SCHEMA_VERSION}); upgrade the module`,
    );
  }
  throw new JobsSchemaError(
    `Schema "${schema}" is at version ${version}, this module needs ${LATEST_SCHEMA_VERSION}: ` +
      'set migrationsRun: true, or add JOBS_MIGRATIONS (createJobsMigrations(schema)) to your DataSource migrations and run them',
  );
}
