/** Version 1: jobs, their failed-attempt history, and the schema version table. */
export function initMigration(s: string): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
       version integer PRIMARY KEY,
       name text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE ${s}.jobs (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       queue text NOT NULL,
       type text NOT NULL,
       payload jsonb NOT NULL,
       state text NOT NULL DEFAULT 'pending'
         CHECK (state IN ('pending', 'scheduled', 'running', 'completed', 'failed', 'canceled')),
       priority smallint NOT NULL DEFAULT 0,
       attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
       max_attempts integer NOT NULL CHECK (max_attempts >= 1),
       run_at timestamptz NOT NULL DEFAULT now(),
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       started_at timestamptz,
       finished_at timestamptz,
       locked_by text,
       locked_until timestamptz,
       last_error text,
       replays integer NOT NULL DEFAULT 0
     ) WITH (fillfactor = 80)`,
    // The fetch path: ready jobs of one queue, highest priority first, then oldest run time. Only
    // `pending` jobs: jobs waiting for a future time are not walked by every claim.
    `CREATE INDEX jobs_ready_idx ON ${s}.jobs (queue, priority DESC, run_at, id) WHERE state = 'pending'`,
    // Delayed jobs and retries by run time: each poll promotes the due ones to pending.
    `CREATE INDEX jobs_scheduled_idx ON ${s}.jobs (run_at) WHERE state = 'scheduled'`,
    // Lease recovery: running jobs by lease end.
    `CREATE INDEX jobs_running_idx ON ${s}.jobs (locked_until) WHERE state = 'running'`,
    `CREATE TABLE ${s}.job_attempts (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       job_id bigint NOT NULL REFERENCES ${s}.jobs (id) ON DELETE CASCADE,
       replay integer NOT NULL,
       attempt integer NOT NULL,
       outcome text NOT NULL CHECK (outcome IN ('failed', 'timed_out', 'lost', 'canceled')),
       worker_id text,
       started_at timestamptz,
       finished_at timestamptz NOT NULL DEFAULT now(),
       error text NOT NULL,
       stack text
     )`,
    `CREATE INDEX job_attempts_job_idx ON ${s}.job_attempts (job_id, id)`,
  ];
}
