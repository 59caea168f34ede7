/** Version 4: one word per thing. The registry of live nodes is `nodes` (it was `workers`), and an
 * attempt names the node that ran it in `node_id`. Renames only: no data moves. */
export function nodesMigration(s: string): string[] {
  return [
    `ALTER TABLE ${s}.workers RENAME TO nodes`,
    `ALTER TABLE ${s}.nodes RENAME CONSTRAINT workers_pkey TO nodes_pkey`,
    `ALTER SEQUENCE ${s}.workers_lock_seq RENAME TO nodes_lock_seq`,
    `ALTER TABLE ${s}.job_attempts RENAME COLUMN worker_id TO node_id`,
  ];
}
