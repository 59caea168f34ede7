/**
 * Version 7: what operators need at any size (issue 13).
 * - `queues.concurrency`: a queue's per-node concurrency set at run time (null: each node's own
 *   configuration); every node's queue loop reads it each poll interval.
 * - `jobs_finished_list_idx`: finished jobs by finish time. It serves the lists sorted by finish time,
 *   the change feed's "finished since the last tick" read and `clean` (oldest first), each a bounded
 *   index range. Finishing a job already changes `state` (a non-HOT update that adds an entry to
 *   every list index), so this is one more index entry on that update.
 * - `jobs_failed_idx`: the dead letters, newest first, for their groups: the newest failed jobs are
 *   one range of a small index (an entry per dead letter, written only when a job fails for good).
 * - `audit_log`: operator actions whose subject may be gone (deleted jobs, cleans) or is not a job
 *   (queue settings), with the actor.
 */
export function operatorsMigration(s: string): string[] {
  return [
    `ALTER TABLE ${s}.queues
       ADD COLUMN concurrency integer CHECK (concurrency BETWEEN 0 AND 1000),
       ADD COLUMN concurrency_by text,
       ADD COLUMN concurrency_at timestamptz`,
    `CREATE INDEX jobs_finished_list_idx ON ${s}.jobs (finished_at, id)
       WHERE state IN ('completed', 'failed', 'canceled')`,
    `CREATE INDEX jobs_failed_idx ON ${s}.jobs (id) WHERE state = 'failed'`,
    `CREATE TABLE ${s}.audit_log (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       at timestamptz NOT NULL DEFAULT now(),
       actor text,
       action text NOT NULL,
       target text,
       detail jsonb
     )`,
  ];
}

/** Undoes version 7. */
export function operatorsDown(s: string): string[] {
  return [
    `DROP TABLE ${s}.audit_log`,
    `DROP INDEX ${s}.jobs_finished_list_idx, ${s}.jobs_failed_idx`,
    `ALTER TABLE ${s}.queues DROP COLUMN concurrency, DROP COLUMN concurrency_by, DROP COLUMN concurrency_at`,
    `DELETE FROM ${s}.schema_migrations WHERE version = 7`,
  ];
}
