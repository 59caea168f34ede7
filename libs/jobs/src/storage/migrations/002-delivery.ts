/** Version 2: idempotency keys, and the registry of live nodes (heartbeat and session liveness). */
export function deliveryMigration(s: string): string[] {
  return [
    // The key is kept for search; `idempotency_active` says it still blocks duplicates. Maintenance
    // clears the flag once the job has been finished for the configured window.
    `ALTER TABLE ${s}.jobs
       ADD COLUMN idempotency_key text,
       ADD COLUMN idempotency_active boolean NOT NULL DEFAULT false`,
    `CREATE UNIQUE INDEX jobs_idempotency_idx ON ${s}.jobs (type, idempotency_key) WHERE idempotency_active`,
    `CREATE INDEX jobs_idempotency_expiry_idx ON ${s}.jobs (finished_at)
       WHERE idempotency_active AND finished_at IS NOT NULL`,
    // Each node holds a session-level advisory lock (namespace hashtext('<schema>'), key lock_key) on
    // its dedicated connection: when the process dies, PostgreSQL ends the session and the lock goes.
    `CREATE SEQUENCE ${s}.workers_lock_seq AS integer CYCLE`,
    `CREATE TABLE ${s}.workers (
       id text PRIMARY KEY,
       hostname text NOT NULL,
       pid integer NOT NULL,
       lock_key integer NOT NULL,
       backend_pid integer,
       started_at timestamptz NOT NULL DEFAULT now(),
       session_started_at timestamptz NOT NULL DEFAULT now(),
       last_seen timestamptz NOT NULL DEFAULT now(),
       queues jsonb NOT NULL DEFAULT '{}',
       running integer NOT NULL DEFAULT 0,
       stopping boolean NOT NULL DEFAULT false
     )`,
  ];
}
