import { Pool, type PoolConfig } from 'pg';
import type { JobsConnectionOptions } from '../interfaces';
import { runMigrations } from './migrator';
import { quoteSchema } from './schema-name';

/** A database to make test schemas in: a connection string, or options like the module's `connection`. */
export type TestDatabase =
  string | Pick<JobsConnectionOptions, 'url' | 'host' | 'port' | 'username' | 'password' | 'database' | 'ssl'>;

function poolConfig(db: TestDatabase): PoolConfig {
  if (typeof db === 'string') return { connectionString: db, max: 1 };
  return {
    connectionString: db.url,
    host: db.host,
    port: db.port,
    user: db.username,
    password: typeof db.password === 'string' ? db.password : undefined,
    database: db.database,
    ssl: db.ssl as PoolConfig['ssl'],
    max: 1,
  };
}

/** Runs `work` on a one-connection pool that is closed afterwards, so a test process keeps nothing open. */
async function withPool<R>(db: TestDatabase, work: (pool: Pool) => Promise<R>): Promise<R> {
  const pool = new Pool(poolConfig(db));
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

/** Creates `schema` at the module's latest version (the module's own migrations). */
export async function createMigratedSchema(db: TestDatabase, schema: string): Promise<void> {
  await withPool(db, (pool) => runMigrations(pool, schema));
}

/** Drops `schema` and everything in it. */
export async function dropSchemaCascade(db: TestDatabase, schema: string): Promise<void> {
  await withPool(db, (pool) => pool.query(`DROP SCHEMA IF EXISTS ${quoteSchema(schema)} CASCADE`));
}
