import type { Pool, PoolClient } from 'pg';
import { maintenanceStatements, schemaNames } from './internals';

/**
 * The plans PostgreSQL ran for the statements `work` sends, nested ones included (the claim runs
 * inside a function, where EXPLAIN cannot see): auto_explain logs each plan, and with
 * `client_min_messages = log` the log lines come back to this client as notices. Needs a
 * superuser (LOAD); returns null otherwise.
 */
export async function nestedPlans(pool: Pool, work: (client: PoolClient) => Promise<void>): Promise<string[] | null> {
  const client = await pool.connect();
  const plans: string[] = [];
  const onNotice = (msg: { message?: string }) => {
    if (msg.message?.includes('plan:')) plans.push(msg.message);
  };
  try {
    const su = await client.query<{ su: boolean }>(`SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user`);
    if (!su.rows[0]?.su) return null;
    await client.query(`LOAD 'auto_explain'`);
    await client.query(`SET auto_explain.log_min_duration = 0`);
    await client.query(`SET auto_explain.log_nested_statements = on`);
    await client.query(`SET auto_explain.log_analyze = on`);
    await client.query(`SET auto_explain.log_timing = off`);
    await client.query(`SET client_min_messages = log`);
    client.on('notice', onNotice);
    await work(client);
    return plans;
  } finally {
    client.removeListener('notice', onNotice);
    await client.query(`RESET client_min_messages`).catch(() => undefined);
    await client.query(`RESET auto_explain.log_min_duration`).catch(() => undefined);
    client.release();
  }
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of a statement in a transaction that is rolled back (the analysis runs
 * a write for real), after the `setup` statements its repository runs first. The plan as text.
 */
export async function explainRolledBack(
  pool: Pool,
  text: string,
  values: unknown[],
  setup: string[] = [],
): Promise<string> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const statement of setup) await client.query(statement);
    const res = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
    return res.rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** The plan of one retention prune round of completed jobs older than `keepMs` in `schema`, run
 * as the maintenance repository runs it. */
export function explainPrune(pool: Pool, schema: string, keepMs: number): Promise<string> {
  const { prune, indexScansOnly } = maintenanceStatements(schemaNames(schema));
  return explainRolledBack(pool, prune.text, ['completed', keepMs, null, [], 1_000], [indexScansOnly.text]);
}
