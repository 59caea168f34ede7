import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';

/** The server every test talks to (set by scripts/run-tests.mjs, or by the user). */
export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

/** A schema name of its own for one test file or test. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A small pool for reading outcomes back from the database. */
export function assertionPool(): Pool {
  return new Pool({ connectionString: databaseUrl(), max: 3 });
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Job counts by state, read from the database. */
export async function countByState(pool: Pool, schema: string): Promise<Record<string, number>> {
  const res = await pool.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM "${schema}".jobs GROUP BY state`,
  );
  return Object.fromEntries(res.rows.map((r) => [r.state, r.n]));
}

export interface AttemptHistoryRow {
  attempt: number;
  outcome: string;
  node_id: string | null;
  error: string;
}

/** A job's attempt history rows, oldest first, read from the database. */
export async function attemptHistory(pool: Pool, schema: string, id: string): Promise<AttemptHistoryRow[]> {
  const res = await pool.query<AttemptHistoryRow>(
    `SELECT attempt, outcome, node_id, error FROM "${schema}".job_attempts WHERE job_id = $1 ORDER BY id`,
    [id],
  );
  return res.rows;
}

/**
 * Bulk-loads a schema's jobs table the way an operator restores one: its secondary indexes are
 * dropped, `insert` (an INSERT into `"<schema>".jobs` with `values`) runs as one statement, the very
 * same indexes (read back from the catalog) are rebuilt and the table vacuumed and analyzed (unless
 * `analyze` is false: the table is then left as a restore leaves it, without planner statistics).
 * Returns how long the insert and the rebuild took, in ms.
 */
export async function bulkLoadJobs(
  pool: Pool,
  schema: string,
  insert: string,
  values: unknown[],
  { analyze = true }: { analyze?: boolean } = {},
): Promise<{ insertMs: number; indexMs: number; indexes: number }> {
  const client = await pool.connect();
  try {
    const indexes = await client.query<{ name: string; def: string }>(
      `SELECT indexname AS name, indexdef AS def FROM pg_indexes
       WHERE schemaname = $1 AND tablename = 'jobs' AND indexname <> 'jobs_pkey'`,
      [schema],
    );
    await client.query(`SET maintenance_work_mem = '256MB'`);
    await client.query(`SET synchronous_commit = off`);
    for (const ix of indexes.rows) await client.query(`DROP INDEX "${schema}"."${ix.name}"`);
    const started = Date.now();
    await client.query(insert, values);
    const inserted = Date.now();
    for (const ix of indexes.rows) await client.query(ix.def);
    if (analyze) await client.query(`VACUUM (ANALYZE) "${schema}".jobs`);
    return { insertMs: inserted - started, indexMs: Date.now() - inserted, indexes: indexes.rows.length };
  } finally {
    client.release();
  }
}
