import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** What the scheduler reads of a claimed schedule. */
const CLAIM_COLUMNS = `s.name, s.type, s.cron, s.time_zone, s.interval_ms, s.payload::text AS payload_json, s.queue,
  s.priority, s.max_attempts, s.missed, s.max_catch_up, s.overlap, s.jitter_ms, s.next_run_at, s.queued_occurrence,
  s.last_job_id`;

/** The statements of the scheduler's hot path: claim, check the ticks, record them. */
export function scheduleFireStatements({ schema, schedules, scheduleRuns, jobs }: SchemaNames) {
  const busy = (alias: string) =>
    `EXISTS (SELECT 1 FROM ${jobs} j WHERE j.id = ${alias}.last_job_id AND j.state IN ('pending', 'scheduled', 'running'))`;
  // Whether the next tick is recorded already: answers the check for on-time ticks in the claim.
  const recorded = `EXISTS (SELECT 1 FROM ${scheduleRuns} r WHERE r.schedule = s.name AND r.occurrence = s.next_run_at)`;
  return {
    /**
     * Up to $1 due schedules, locked for this transaction; a schedule another node is firing is
     * skipped, not waited for. The row returned is the locked, current version (a schedule that
     * another node fired meanwhile no longer matches `next_run_at <= now()` and is left out), so two
     * nodes never fire one tick.
     */
    claimDue: {
      name: `${schema}.schedules_claim_due`,
      text: `SELECT ${CLAIM_COLUMNS}, ${busy('s')} AS previous_busy, ${recorded} AS next_recorded, now() AS db_now
        FROM ${schedules} s
        WHERE NOT s.paused AND NOT s.removed_from_code AND s.next_run_at <= now()
        ORDER BY s.next_run_at
        LIMIT $1
        FOR UPDATE OF s SKIP LOCKED`,
    },

    /** Up to $1 schedules with a waiting tick whose previous job has finished (overlap 'queue'). */
    claimReleasable: {
      name: `${schema}.schedules_claim_releasable`,
      text: `SELECT ${CLAIM_COLUMNS}, false AS previous_busy, ${recorded} AS next_recorded, now() AS db_now
        FROM ${schedules} s
        WHERE s.queued_occurrence IS NOT NULL AND NOT s.paused AND NOT s.removed_from_code AND NOT ${busy('s')}
        LIMIT $1
        FOR UPDATE OF s SKIP LOCKED`,
    },

    /** Of the ticks ($1 schedules, $2 ticks), those that have their history row already: they get
     * no second job. Run under the schedules' row locks, which every writer of history takes; only
     * for ticks other than the claimed next ones (catch-ups), which the claim checked itself. */
    fired: {
      name: `${schema}.schedules_fired`,
      // LATERAL: one primary-key probe per tick, whatever the size of the history (a join let the
      // generic plan read the whole table: 12 ms a batch at 10,000 rows).
      text: `SELECT d.schedule, d.occurrence FROM unnest($1::text[], $2::timestamptz[]) AS d(schedule, occurrence)
        CROSS JOIN LATERAL (
          SELECT 1 FROM ${scheduleRuns} r WHERE r.schedule = d.schedule AND r.occurrence = d.occurrence
        ) hit`,
    },

    /**
     * Records the ticks ($1 schedule, $2 tick, $3 outcome, $4 job id or null), the jobs of released
     * waiting ticks ($5 schedule, $6 tick, $7 job id), then moves each schedule on ($8 name, $9 next
     * tick, $10 waiting tick, $11 last tick, $12 its outcome, $13 last job, $14 missed ticks).
     * Returns how many ticks it recorded, and the lag of each: tick to this write, the last one
     * before the commit.
     */
    finish: {
      text: `WITH r AS (
          INSERT INTO ${scheduleRuns} (schedule, occurrence, outcome, job_id)
          SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bigint[])
          ON CONFLICT (schedule, occurrence) DO NOTHING
          RETURNING outcome, fired_at, occurrence
        ), released AS (
          UPDATE ${scheduleRuns} u SET job_id = d.job_id, fired_at = clock_timestamp()
          FROM unnest($5::text[], $6::timestamptz[], $7::bigint[]) AS d(schedule, occurrence, job_id)
          WHERE u.schedule = d.schedule AND u.occurrence = d.occurrence
          RETURNING 1
        ), s AS (
          UPDATE ${schedules} s SET next_run_at = d.next_run_at, queued_occurrence = d.queued,
            last_run_at = COALESCE(d.last_run_at, s.last_run_at), last_outcome = COALESCE(d.last_outcome, s.last_outcome),
            last_job_id = COALESCE(d.last_job_id, s.last_job_id), missed_ticks = s.missed_ticks + d.missed,
            last_missed_at = CASE WHEN d.missed > 0 THEN now() ELSE s.last_missed_at END
          FROM unnest($8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::bigint[],
            $14::bigint[]) AS d(name, next_run_at, queued, last_run_at, last_outcome, last_job_id, missed)
          WHERE s.name = d.name
          RETURNING 1
        )
        SELECT r.outcome, (extract(epoch FROM r.fired_at - r.occurrence) * 1000)::float8 AS lag_ms
        FROM r WHERE (SELECT count(*) FROM s) + (SELECT count(*) FROM released) >= 0`,
    },

    /** Milliseconds until the earliest tick of a schedule that may fire (0 when due), or null when
     * none may (GREATEST skips a NULL argument, hence the explicit case). */
    nextDue: {
      name: `${schema}.schedules_next_due`,
      text: `SELECT CASE WHEN min(next_run_at) IS NOT NULL
          THEN GREATEST(0, ceil(extract(epoch FROM min(next_run_at) - clock_timestamp()) * 1000))::float8 END AS ms
        FROM ${schedules} WHERE NOT paused AND NOT removed_from_code`,
    },

    /** Keeps the newest $2 history rows of each of the next $3 schedules after name $1 (in name
     * order); returns the last name seen (null: the end) and how many rows went. */
    prune: {
      text: `WITH c AS (
          SELECT s.name, (SELECT x.occurrence FROM ${scheduleRuns} x WHERE x.schedule = s.name
                          ORDER BY x.occurrence DESC OFFSET $2 LIMIT 1) AS cutoff
          FROM ${schedules} s WHERE s.name > $1 ORDER BY s.name LIMIT $3
        ), d AS (
          DELETE FROM ${scheduleRuns} r USING c WHERE r.schedule = c.name AND r.occurrence <= c.cutoff RETURNING 1
        )
        SELECT max(c.name) AS last, (SELECT count(*) FROM d)::int AS deleted FROM c`,
    },
  } satisfies Record<string, Statement>;
}
