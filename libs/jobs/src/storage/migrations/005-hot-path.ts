/**
 * Version 5: a hot path that stays fast.
 * - The claim is a function whose plan does not depend on planner statistics: a table bulk-loaded
 *   and never analyzed made PostgreSQL choose a bitmap scan and a sort of every pending row (about
 *   a second per claim on a million jobs). With bitmap and sequential scans off inside the function,
 *   the ready index, already in claim order, is the only plan.
 * - The list indexes of the admin views leave out `running` rows: a claim (pending -> running) no
 *   longer adds an entry to each of them; running jobs are few (bounded by the cluster's slots) and
 *   are listed through the running index.
 */
export function hotPathMigration(s: string): string[] {
  const notRunning = `WHERE state <> 'running'`;
  return [
    // Returns the claimed jobs in claim order, with times as epoch milliseconds (cheaper to read
    // than timestamps) and only the columns a claimed job needs.
    `CREATE FUNCTION ${s}.claim_jobs(p_queue text, p_types text[], p_limit int, p_node text, p_lease_ms int)
     RETURNS TABLE (id bigint, queue text, type text, payload jsonb, priority smallint, attempts int,
       max_attempts int, run_at_ms float8, created_at_ms float8, started_at_ms float8, last_error text,
       replays int, idempotency_key text)
     LANGUAGE plpgsql
     SET enable_bitmapscan = off SET enable_seqscan = off AS $$
     #variable_conflict use_column
     BEGIN
       RETURN QUERY
       WITH picked AS (
         SELECT x.id, row_number() OVER (ORDER BY x.priority DESC, x.run_at, x.id) AS rn FROM (
           SELECT j.id, j.priority, j.run_at FROM ${s}.jobs j
           WHERE j.state = 'pending' AND j.queue = p_queue AND j.type = ANY(p_types)
             AND NOT EXISTS (SELECT 1 FROM ${s}.queues q WHERE q.name = p_queue AND q.paused)
           ORDER BY j.priority DESC, j.run_at, j.id
           LIMIT p_limit FOR UPDATE SKIP LOCKED) x
       ), claimed AS (
         UPDATE ${s}.jobs j
         SET state = 'running', attempts = j.attempts + 1, locked_by = p_node,
             locked_until = now() + p_lease_ms * interval '1 millisecond',
             started_at = now(), updated_at = now()
         FROM picked WHERE j.id = picked.id
         RETURNING j.id, j.queue, j.type, j.payload, j.priority, j.attempts, j.max_attempts, j.run_at,
           j.created_at, j.started_at, j.last_error, j.replays, j.idempotency_key, picked.rn
       )
       SELECT c.id, c.queue, c.type, c.payload, c.priority, c.attempts, c.max_attempts,
         extract(epoch FROM c.run_at)::float8 * 1000, extract(epoch FROM c.created_at)::float8 * 1000,
         extract(epoch FROM c.started_at)::float8 * 1000, c.last_error, c.replays, c.idempotency_key
       FROM claimed c ORDER BY c.rn;
     END $$`,
    `DROP INDEX ${s}.jobs_state_list_idx, ${s}.jobs_queue_list_idx, ${s}.jobs_type_list_idx,
       ${s}.jobs_payload_idx, ${s}.jobs_idempotency_key_idx`,
    `CREATE INDEX jobs_state_list_idx ON ${s}.jobs (state, id) ${notRunning}`,
    `CREATE INDEX jobs_queue_list_idx ON ${s}.jobs (queue, id) ${notRunning}`,
    `CREATE INDEX jobs_type_list_idx ON ${s}.jobs (type, id) ${notRunning}`,
    `CREATE INDEX jobs_payload_idx ON ${s}.jobs USING gin (payload jsonb_path_ops) ${notRunning}`,
    `CREATE INDEX jobs_idempotency_key_idx ON ${s}.jobs (idempotency_key)
       WHERE idempotency_key IS NOT NULL AND state <> 'running'`,
  ];
}

/** Undoes version 5. */
export function hotPathDown(s: string): string[] {
  return [
    `DROP FUNCTION ${s}.claim_jobs(text, text[], int, text, int)`,
    `DROP INDEX ${s}.jobs_state_list_idx, ${s}.jobs_queue_list_idx, ${s}.jobs_type_list_idx,
       ${s}.jobs_payload_idx, ${s}.jobs_idempotency_key_idx`,
    `CREATE INDEX jobs_state_list_idx ON ${s}.jobs (state, id)`,
    `CREATE INDEX jobs_queue_list_idx ON ${s}.jobs (queue, id)`,
    `CREATE INDEX jobs_type_list_idx ON ${s}.jobs (type, id)`,
    `CREATE INDEX jobs_idempotency_key_idx ON ${s}.jobs (idempotency_key) WHERE idempotency_key IS NOT NULL`,
    `CREATE INDEX jobs_payload_idx ON ${s}.jobs USING gin (payload jsonb_path_ops)`,
    `DELETE FROM ${s}.schema_migrations WHERE version = 5`,
  ];
}
