/** Version 3: what the admin API and dashboard need: queue settings (pause), an audit trail of
 * operator actions, and indexes that serve the job list's filters without scanning the table. */
export function adminMigration(s: string): string[] {
  return [
    `CREATE TABLE ${s}.queues (
       name text PRIMARY KEY,
       paused boolean NOT NULL DEFAULT false,
       paused_at timestamptz,
       paused_by text,
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE ${s}.job_events (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       job_id bigint NOT NULL REFERENCES ${s}.jobs (id) ON DELETE CASCADE,
       at timestamptz NOT NULL DEFAULT now(),
       kind text NOT NULL,
       actor text,
       detail jsonb
     )`,
    `CREATE INDEX job_events_job_idx ON ${s}.job_events (job_id, id)`,
    // The job list: newest first within a state, a queue or a type (keyset pagination on id).
    `CREATE INDEX jobs_state_list_idx ON ${s}.jobs (state, id)`,
    `CREATE INDEX jobs_queue_list_idx ON ${s}.jobs (queue, id)`,
    `CREATE INDEX jobs_type_list_idx ON ${s}.jobs (type, id)`,
    // Search by idempotency key (also after the key was released) and by payload field.
    `CREATE INDEX jobs_idempotency_key_idx ON ${s}.jobs (idempotency_key) WHERE idempotency_key IS NOT NULL`,
    `CREATE INDEX jobs_payload_idx ON ${s}.jobs USING gin (payload jsonb_path_ops)`,
    // Time-range filters: ids grow with created_at, a BRIN index is tiny and cheap to keep.
    `CREATE INDEX jobs_created_brin ON ${s}.jobs USING brin (created_at)`,
    // Throughput for the queue list and charts: each worker node adds its per-minute outcomes here
    // every few seconds (one small upsert per node, nothing on the per-job path).
    `CREATE TABLE ${s}.queue_stats (
       queue text NOT NULL,
       minute timestamptz NOT NULL,
       completed bigint NOT NULL DEFAULT 0,
       failed bigint NOT NULL DEFAULT 0,
       retried bigint NOT NULL DEFAULT 0,
       PRIMARY KEY (minute, queue)
     )`,
  ];
}
