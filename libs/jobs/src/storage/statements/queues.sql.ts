import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

const QUEUE_COLUMNS = 'name, paused, paused_at, paused_by, updated_at, concurrency';

/** Statements of the queue settings (`<schema>.queues`): pause and resume. */
export function queueStatements({ queues, wakeChannel }: SchemaNames) {
  return {
    /** $1 queue, $2 actor. A repeated pause keeps who paused it first and when. */
    pause: {
      text: `INSERT INTO ${queues} AS q (name, paused, paused_at, paused_by, updated_at)
        VALUES ($1, true, now(), $2, now())
        ON CONFLICT (name) DO UPDATE SET paused = true,
          paused_at = CASE WHEN q.paused THEN q.paused_at ELSE now() END,
          paused_by = CASE WHEN q.paused THEN q.paused_by ELSE EXCLUDED.paused_by END,
          updated_at = now()
        RETURNING ${QUEUE_COLUMNS}`,
    },

    /** $1 queue. Wakes the queue's workers on every node at once (delivered at commit). */
    resume: {
      text: `WITH u AS (
          INSERT INTO ${queues} AS q (name, paused, updated_at) VALUES ($1, false, now())
          ON CONFLICT (name) DO UPDATE SET paused = false, paused_at = NULL, paused_by = NULL, updated_at = now()
          RETURNING ${QUEUE_COLUMNS}
        ), woke AS (SELECT pg_notify('${wakeChannel}', $1))
        SELECT * FROM u WHERE (SELECT count(*) FROM woke) >= 0`,
    },

    list: { text: `SELECT ${QUEUE_COLUMNS} FROM ${queues}` },

    /** $1 queue: its row goes once it holds nothing but defaults (not paused, no concurrency), so
     * pausing and resuming names leaves no row behind. */
    forgetDefaults: { text: `DELETE FROM ${queues} WHERE name = $1 AND NOT paused AND concurrency IS NULL` },
  } satisfies Record<string, Statement>;
}
