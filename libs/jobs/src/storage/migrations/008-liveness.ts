/**
 * Version 8: session liveness with a grace (issue 20).
 * - `nodes.lock_lost_at`: when a sweep first found the node's session lock free (the database's
 *   clock); the node is declared dead only if it has not taken its lock again within the grace.
 *   Registering (taking the lock again) clears it.
 * - `nodes.lease_ms`: the node's own lease, so that a sweeper judges a silent node by the lease that
 *   node measures its own self-abort against, whatever the sweeper's configuration.
 */
export function livenessMigration(s: string): string[] {
  return [`ALTER TABLE ${s}.nodes ADD COLUMN lock_lost_at timestamptz, ADD COLUMN lease_ms integer`];
}

/** Undoes version 8. */
export function livenessDown(s: string): string[] {
  return [
    `ALTER TABLE ${s}.nodes DROP COLUMN lock_lost_at, DROP COLUMN lease_ms`,
    `DELETE FROM ${s}.schema_migrations WHERE version = 8`,
  ];
}
