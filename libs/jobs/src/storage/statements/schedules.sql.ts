import { scheduleColumns } from '../schedule-row';
import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** The definition columns, in the order of the `$n` parameters of `create` and `update`. */
const COLUMNS = [
  'type',
  'cron',
  'time_zone',
  'interval_ms',
  'payload',
  'queue',
  'priority',
  'max_attempts',
  'missed',
  'max_catch_up',
  'overlap',
  'jitter_ms',
];
const DEFINITION = COLUMNS.join(', ');
const EXCLUDED = COLUMNS.map((c) => `EXCLUDED.${c}`).join(', ');
const CURRENT = COLUMNS.map((c) => `s.${c}`).join(', ');
/** `$2`-`$13`: a definition's values. */
const DEFINITION_VALUES = `$2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13`;

/** Statements of schedule management: read, define, pause, run now, reconcile the code's. */
export function scheduleStatements({ schedules, scheduleRuns, jobs }: SchemaNames) {
  const columns = scheduleColumns(jobs, scheduleRuns);
  return {
    /** $1 the name to start after ('' for the first page), $2 the page size (null: all). */
    list: { text: `SELECT ${columns} FROM ${schedules} s WHERE s.name > $1 ORDER BY s.name LIMIT $2` },
    count: { text: `SELECT count(*)::int AS n FROM ${schedules}` },
    get: { text: `SELECT ${columns} FROM ${schedules} s WHERE s.name = $1` },
    origin: { text: `SELECT source, removed_from_code FROM ${schedules} WHERE name = $1` },
    lock: { text: `SELECT name FROM ${schedules} WHERE name = $1 FOR UPDATE` },

    /** $1 name, $2-$13 definition, $14 first tick, $15 actor. No row when the name is taken. */
    create: {
      text: `INSERT INTO ${schedules} (name, ${DEFINITION}, next_run_at, source, updated_by)
        VALUES ($1, ${DEFINITION_VALUES}, $14, 'api', $15)
        ON CONFLICT (name) DO NOTHING RETURNING name`,
    },

    /** $1 name, $2-$13 definition, $14 first tick from now (kept unless the cadence changed), $15 actor. */
    update: {
      text: `UPDATE ${schedules} s SET (${DEFINITION}) = (${DEFINITION_VALUES}),
          next_run_at = CASE WHEN (s.cron, s.time_zone, s.interval_ms) IS DISTINCT FROM ($3, $4, $5::bigint)
            THEN $14 ELSE s.next_run_at END,
          updated_at = now(), updated_by = $15
        WHERE s.name = $1 RETURNING s.name`,
    },

    remove: { text: `DELETE FROM ${schedules} WHERE name = $1 RETURNING name` },

    /** $1 name, $2 actor. A repeated pause keeps who paused it first. */
    pause: {
      text: `UPDATE ${schedules} SET paused = true, paused_at = COALESCE(paused_at, now()),
          paused_by = CASE WHEN paused THEN paused_by ELSE $2 END, updated_at = now()
        WHERE name = $1 RETURNING name`,
    },

    /** $1 name, $2 first tick from now: the ticks of the pause are not caught up. */
    resume: {
      text: `UPDATE ${schedules} SET paused = false, paused_at = NULL, paused_by = NULL,
          next_run_at = CASE WHEN paused THEN $2 ELSE next_run_at END, updated_at = now()
        WHERE name = $1 RETURNING name`,
    },

    /** Run now: $1 name, $2 job id, $3 actor. The tick is the current time. */
    recordManual: {
      text: `WITH r AS (
          INSERT INTO ${scheduleRuns} (schedule, occurrence, outcome, job_id, actor)
          VALUES ($1, clock_timestamp(), 'manual', $2, $3) RETURNING occurrence
        )
        UPDATE ${schedules} s SET last_run_at = r.occurrence, last_outcome = 'manual', last_job_id = $2
        FROM r WHERE s.name = $1 RETURNING s.name`,
    },

    /** Run history of $1, newest first, $2 rows, ticks before $3 (null: from the newest). */
    runs: {
      text: `SELECT r.occurrence, r.outcome, r.fired_at, r.job_id, j.state AS job_state,
          j.finished_at AS job_finished_at, j.last_error AS job_error
        FROM ${scheduleRuns} r LEFT JOIN ${jobs} j ON j.id = r.job_id
        WHERE r.schedule = $1 AND ($3::timestamptz IS NULL OR r.occurrence < $3)
        ORDER BY r.occurrence DESC LIMIT $2`,
    },

    /**
     * Start-up: the schedules a node's code declares (arrays $1-$14 as `create`, $15 actor). A new
     * one is inserted; a changed one updated (its next tick recomputed when the cadence changed or it
     * comes back after being removed from code). Unchanged rows are not written. Returns the names
     * written and whether each was new.
     */
    reconcile: {
      text: `INSERT INTO ${schedules} AS s (name, ${DEFINITION}, next_run_at, source, updated_by)
        SELECT n, ty, c, tz, iv, p::jsonb, q, pr, ma, mi, mc, ov, ji, nx, 'code', $15
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::int[],
          $9::int[], $10::text[], $11::int[], $12::text[], $13::int[], $14::timestamptz[])
          AS u(n, ty, c, tz, iv, p, q, pr, ma, mi, mc, ov, ji, nx)
        ON CONFLICT (name) DO UPDATE SET (${DEFINITION}) = (${EXCLUDED}),
          next_run_at = CASE WHEN s.removed_from_code
              OR (s.cron, s.time_zone, s.interval_ms) IS DISTINCT FROM (EXCLUDED.cron, EXCLUDED.time_zone, EXCLUDED.interval_ms)
            THEN EXCLUDED.next_run_at ELSE s.next_run_at END,
          source = 'code', removed_from_code = false, updated_at = now(), updated_by = $15
        WHERE s.source <> 'code' OR s.removed_from_code
          OR (${CURRENT}) IS DISTINCT FROM (${EXCLUDED})
        RETURNING s.name, (xmax = 0) AS inserted`,
    },

    /** Code schedules of the types in $1 that the starting node's code no longer declares ($2):
     * they stop firing (kept, with their history, until declared again or deleted). */
    markRemoved: {
      text: `UPDATE ${schedules} SET removed_from_code = true, updated_at = now(), updated_by = $3
        WHERE source = 'code' AND NOT removed_from_code AND type = ANY($1::text[]) AND NOT (name = ANY($2::text[]))
        RETURNING name`,
    },
  } satisfies Record<string, Statement>;
}
