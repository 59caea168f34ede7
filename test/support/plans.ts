import type { Pool, PoolClient } from 'pg';

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
