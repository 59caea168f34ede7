import type { SchemaNames } from '../schema-name';
import { requeueLostCtes } from './requeue-lost.sql';
import type { Statement } from './statement';

/**
 * Statements of the node registry (`<schema>.nodes`) and of session liveness. A node holds the
 * session-level advisory lock (hashtext(schema), lock_key) on its dedicated connection; PostgreSQL
 * drops it the moment that session ends, which it does at once when the process dies.
 */
export function nodeStatements(names: SchemaNames) {
  const { schema, quoted, nodes, jobs } = names;
  // The node's session-level advisory lock is not held by any session.
  const lockFree = `NOT EXISTS (
              SELECT 1 FROM pg_locks l
              WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND l.classid = hashtext('${schema}')::oid AND l.objid = w.lock_key::oid)`;
  return {
    nextLockKey: { text: `SELECT nextval('${quoted}.nodes_lock_seq')::int AS key` },

    /** $1 key. Taken on the node's dedicated connection, before the row says the session is live. */
    tryLock: { text: `SELECT pg_try_advisory_lock(hashtext('${schema}'), $1::int) AS locked` },

    /** $1 id, $2 hostname, $3 pid, $4 lock key, $5 queues, $6 the node's lease (ms). Run on the locked
     * session: the node holds its lock again, so a loss a sweep noted (`lock_lost_at`) is over. */
    register: {
      text: `INSERT INTO ${nodes} (id, hostname, pid, lock_key, backend_pid, session_started_at, last_seen, queues, lease_ms)
        VALUES ($1, $2, $3, $4, pg_backend_pid(), now(), now(), $5::jsonb, $6)
        ON CONFLICT (id) DO UPDATE SET lock_key = EXCLUDED.lock_key, backend_pid = EXCLUDED.backend_pid,
          session_started_at = now(), last_seen = now(), queues = EXCLUDED.queues, stopping = false,
          lease_ms = EXCLUDED.lease_ms, lock_lost_at = NULL`,
    },

    /** $1 id, $2 running handlers, $3 stopping. Returns nothing when the row is gone (declared dead). */
    heartbeat: {
      name: `${schema}.node_heartbeat`,
      text: `UPDATE ${nodes} SET last_seen = now(), running = $2, stopping = $3 WHERE id = $1 RETURNING id`,
    },

    /**
     * Notes, on the database's clock, when a sweep first finds a node's session lock free: the
     * moment the loss is known (`clock_timestamp()` is read after the lock was seen free, so it is
     * never before the session ended). Only for sessions started in this server's lifetime (after a
     * restart every lock is free: the restart rule of `sweep` applies instead).
     */
    markLockLost: {
      name: `${schema}.node_mark_lock_lost`,
      text: `UPDATE ${nodes} w SET lock_lost_at = clock_timestamp()
        WHERE w.lock_lost_at IS NULL AND w.session_started_at >= pg_postmaster_start_time() AND ${lockFree}`,
    },

    /**
     * Declares dead the nodes whose session lock has been free for $4 ms since a sweep first saw it
     * free (`markLockLost`) without the node taking it again: a live node whose session dropped
     * reconnects and registers within that grace and keeps its jobs; a dead process never does. Also
     * the nodes whose heartbeat is older than their own lease (`lease_ms`, else $2 ms: frozen,
     * partitioned), and those that have not come back after the server restarted: their session
     * predates the restart while the caller's own session has been back for $3 ms (every live node
     * reconnects within about a second, so a node still missing then died while the server was down).
     * Their running jobs go back in the queue at once: ready again (their run time kept, so they go
     * first), or failed if no attempts remain; each gets a `lost` history row. $1 is the caller.
     */
    sweep: {
      name: `${schema}.node_sweep`,
      text: `WITH dead AS (
          SELECT w.id FROM ${nodes} w
          WHERE w.id <> $1 AND (
            w.last_seen < now() - coalesce(w.lease_ms, $2::int) * interval '1 millisecond'
            OR (w.session_started_at < pg_postmaster_start_time() AND EXISTS (
              SELECT 1 FROM ${nodes} me
              WHERE me.id = $1 AND me.session_started_at >= pg_postmaster_start_time()
                AND me.session_started_at < now() - $3::int * interval '1 millisecond'))
            OR (w.session_started_at >= pg_postmaster_start_time()
              AND w.lock_lost_at < clock_timestamp() - $4::int * interval '1 millisecond' AND ${lockFree}))
          FOR UPDATE OF w SKIP LOCKED
        ), lost AS (
          SELECT j.id, j.locked_by, j.started_at FROM ${jobs} j
          WHERE j.state = 'running' AND j.locked_by IN (SELECT id FROM dead)
          FOR UPDATE OF j
        ), ${requeueLostCtes(names, `'Node ' || lost.locked_by || ' died while running the job'`)}, gone AS (
          DELETE FROM ${nodes} WHERE id IN (SELECT id FROM dead) RETURNING id
        )
        SELECT (SELECT coalesce(array_agg(id), '{}') FROM gone) AS nodes,
               (SELECT count(*)::int FROM u) AS jobs,
               (SELECT coalesce(jsonb_object_agg(queue, n), '{}') FROM (SELECT queue, count(*)::int AS n FROM u GROUP BY queue) c) AS queues,
               (SELECT count(*) FROM woke) AS woke`,
    },

    /** At clean shutdown, after the hand-back. */
    remove: { text: `DELETE FROM ${nodes} WHERE id = $1` },

    /** Live nodes, for the API and the dashboard. */
    list: {
      text: `SELECT id, hostname, pid, started_at, last_seen, queues, running, stopping
        FROM ${nodes} ORDER BY started_at, id`,
    },

    /** Running jobs with their owner (the running index; bounded by the cluster's slots). */
    runningJobs: {
      text: `SELECT id, type, queue, started_at, locked_by FROM ${jobs} WHERE state = 'running' ORDER BY started_at, id`,
    },
  } satisfies Record<string, Statement>;
}
