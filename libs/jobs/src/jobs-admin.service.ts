import { Inject, Injectable } from '@nestjs/common';
import { InvalidJobOptionsError } from './errors';
import type {
  JobBulkSelection,
  JobDetail,
  JobListPage,
  JobListQuery,
  JobState,
  JobSummary,
  TruncatedPayload,
} from './interfaces';
import { JOBS_STORE } from './jobs.constants';
import { createAdminSql, type AdminSql, type BulkTarget, type SqlQuery } from './storage/admin.sql';
import { toAttempt, toJob, type AttemptRow, type JobRow } from './storage/job-row';
import type { JobsStore } from './storage/jobs.store';
import { parseListFilter, parseListQuery, type ParsedListFilter, type ParsedListQuery } from './utils/list-filter';
import { isJobId } from './utils/storable';
import { buildTimeline, type JobEvent } from './utils/timeline';

/** Payloads larger than this (bytes of JSON) are replaced by a preview in the detail unless `full`. */
export const DETAIL_PAYLOAD_LIMIT = 256 * 1024;
const DETAIL_PREVIEW_CHARS = 4_096;
/** Most ids one bulk request may name. */
export const MAX_BULK_IDS = 10_000;

const REPLAYABLE: readonly JobState[] = ['failed', 'canceled'];
const CANCELABLE: readonly JobState[] = ['pending', 'scheduled', 'running'];

interface SummaryRow extends Omit<JobRow, 'payload' | 'locked_until' | 'replays'> {
  payload_preview: string;
}

interface DetailRow extends JobRow {
  payload_size: number;
  payload_preview: string | null;
}

/**
 * What operators need beyond the producer API: the filtered job list (keyset pages, newest first),
 * the job detail with its timeline, and bulk replay / cancel in bounded batches.
 */
@Injectable()
export class JobsAdminService {
  private readonly sql: AdminSql;

  constructor(@Inject(JOBS_STORE) private readonly store: JobsStore) {
    this.sql = createAdminSql(store.schema);
  }

  /** One page of jobs matching the filters, newest first. Throws `InvalidJobOptionsError` (with the
   * field) for a bad filter, limit or cursor. */
  async list(query: JobListQuery = {}): Promise<JobListPage> {
    const parsed = parseListQuery(query);
    const { rows } = await this.page(parsed);
    const items = rows.slice(0, parsed.limit);
    const more = rows.length > parsed.limit;
    return { items: items.map(toSummary), nextCursor: more ? items[items.length - 1].id : null };
  }

  /** The statement that answered `list(query)`, for diagnostics (`EXPLAIN`). */
  async listStatement(query: JobListQuery = {}): Promise<SqlQuery> {
    return (await this.page(parseListQuery(query))).statement;
  }

  /**
   * Picks how to find the page. The planner estimates rows well per index, but cannot see that the
   * rows of a created_at range form a band of ids (ids grow with created_at), nor how selective a
   * payload containment is; walking ids from the newest job can then pass hundreds of thousands of
   * rows before the page fills. So:
   * - a search by id or idempotency key: one index lookup (`id`);
   * - a payload search: first the newest 5,000 jobs (`probe`, a few ms); if they do not fill the
   *   page, the value is rare, and the GIN index collects its jobs (`range`);
   * - a time range ending in the past: the planner's estimates (no rows read) of the jobs created
   *   since `to` and of those in the range decide between passing the former (`id`) and sorting the
   *   ids of the latter (`range`, through the BRIN index); with a cursor, the walk starts at the
   *   cursor's job, so only the jobs created between `to` and it count as passed. The cost is the smaller of the two, so
   *   the worst case is a wide range far in the past (half the table in it, half newer than it).
   */
  private async page(parsed: ParsedListQuery): Promise<{ rows: SummaryRow[]; statement: SqlQuery }> {
    const { limit, before } = parsed;
    const run = async (statement: SqlQuery) => ({
      rows: (await this.store.pool.query<SummaryRow>(statement)).rows,
      statement,
    });
    const search = parsed.search?.kind;
    if (search === 'id' || search === 'key') return run(this.sql.list(parsed, limit, before, 'id'));
    if (search === 'payload') {
      const probe = await run(this.sql.list(parsed, limit, before, 'probe'));
      if (probe.rows.length > limit) return probe;
      return run(this.sql.list(parsed, limit, before, 'range'));
    }
    if (parsed.to === undefined) return run(this.sql.list(parsed, limit, before, 'id'));
    const cursorRow =
      before === undefined
        ? undefined
        : (await this.store.pool.query<{ created_at: Date }>(this.sql.createdAt, [before])).rows[0];
    const { within, newer } = this.sql.estimateRange(parsed.from, parsed.to, cursorRow?.created_at);
    const [inRange, after] = await Promise.all([this.estimate(within), this.estimate(newer)]);
    return run(this.sql.list(parsed, limit, before, after > inRange ? 'range' : 'id'));
  }

  private async estimate(query: SqlQuery): Promise<number> {
    const res = await this.store.pool.query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(query);
    return res.rows[0]['QUERY PLAN'][0].Plan['Plan Rows'];
  }

  /** The job with its attempts and timeline, or null. A payload over 256 KiB of JSON is replaced
   * by `{ truncated: true, size, preview }` unless `full`. */
  async detail(id: string, options: { full?: boolean } = {}): Promise<JobDetail | null> {
    if (!isJobId(String(id))) return null;
    const pool = this.store.pool;
    const full = options.full === true;
    const res = await pool.query<DetailRow>(this.sql.detail, [id, full, DETAIL_PAYLOAD_LIMIT, DETAIL_PREVIEW_CHARS]);
    if (res.rows.length === 0) return null;
    const [attempts, events] = await Promise.all([
      pool.query<AttemptRow>(this.sql.attempts, [id]),
      pool.query<JobEvent>(this.sql.events, [id]),
    ]);
    const row = res.rows[0];
    const job = toJob(row);
    const attemptHistory = attempts.rows.map(toAttempt);
    const payload: unknown =
      row.payload_preview === null
        ? row.payload
        : ({ truncated: true, size: row.payload_size, preview: row.payload_preview } satisfies TruncatedPayload);
    // Progress reports feed the progress bar, not the timeline (a handler may send many).
    const progressEvents = events.rows.filter((e) => e.kind === 'progress');
    const latest = progressEvents[progressEvents.length - 1];
    const current = latest && job.startedAt && latest.at >= job.startedAt ? latest : undefined;
    const progress = typeof current?.detail?.value === 'number' ? current.detail.value : null;
    const timeline = buildTimeline(
      job,
      attemptHistory,
      events.rows.filter((e) => e.kind !== 'progress'),
    );
    return { ...job, payload, attemptHistory, timeline, progress };
  }

  /** Replays the `failed` and `canceled` jobs among the selection (ids, or every job matching a
   * filter), in batches of 1,000; each replay is recorded with `actor`. */
  async replayMany(selection: JobBulkSelection, options: { actor?: string } = {}): Promise<{ affected: number }> {
    return this.bulk(selection, REPLAYABLE, (target) => this.sql.bulkReplay(target, options.actor ?? null));
  }

  /** Cancels the `pending`, `scheduled` and `running` jobs among the selection, in batches of
   * 1,000; running handlers are aborted; each cancel is recorded with `actor`. */
  async cancelMany(selection: JobBulkSelection, options: { actor?: string } = {}): Promise<{ affected: number }> {
    return this.bulk(selection, CANCELABLE, (target) => this.sql.bulkCancel(target, options.actor ?? null));
  }

  /**
   * Runs one statement per batch until the selection is exhausted. With ids: chunks of 1,000. With a
   * filter: keyset on id, oldest first, up to the newest id when the action started (so jobs that
   * arrive meanwhile, or that a replay sends back to `failed`, are not taken again).
   */
  private async bulk(
    selection: JobBulkSelection,
    allowed: readonly JobState[],
    statement: (target: BulkTarget) => SqlQuery,
  ): Promise<{ affected: number }> {
    const { ids, filter } = parseSelection(selection);
    const states = filter?.states ? allowed.filter((s) => filter.states?.includes(s)) : allowed;
    if (states.length === 0) return { affected: 0 };
    const run = async (target: BulkTarget) => {
      const res = await this.store.pool.query<{ n: number; last: string | null }>(statement(target));
      return res.rows[0] ?? { n: 0, last: null };
    };
    let affected = 0;
    if (ids) {
      for (let i = 0; i < ids.length; i += 1_000) affected += (await run({ ids: ids.slice(i, i + 1_000), states })).n;
      return { affected };
    }
    const newest = await this.store.pool.query<{ id: string | null }>(this.sql.newestId);
    const upTo = newest.rows[0]?.id;
    if (!upTo) return { affected: 0 };
    let after: string | undefined;
    for (;;) {
      const batch = await run({ filter, states, after, upTo });
      affected += batch.n;
      if (batch.last === null) return { affected };
      after = batch.last;
    }
  }
}

function parseSelection(selection: unknown): { ids?: string[]; filter?: ParsedListFilter } {
  if (typeof selection !== 'object' || selection === null || Array.isArray(selection)) {
    throw new InvalidJobOptionsError('body', 'must be an object with ids or filter');
  }
  const { ids, filter, ...rest } = selection as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) throw new InvalidJobOptionsError(unknownKey, 'is not a known field (ids, filter)');
  if ((ids === undefined) === (filter === undefined)) {
    throw new InvalidJobOptionsError('ids', 'give exactly one of ids or filter');
  }
  if (filter !== undefined) {
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
      throw new InvalidJobOptionsError('filter', 'must be an object of list filters');
    }
    return { filter: parseListFilter(filter) };
  }
  if (!Array.isArray(ids)) throw new InvalidJobOptionsError('ids', 'must be an array of job ids');
  if (ids.length > MAX_BULK_IDS) {
    throw new InvalidJobOptionsError('ids', `at most ${MAX_BULK_IDS} per request, got ${ids.length}`);
  }
  ids.forEach((id, i) => {
    if (typeof id !== 'string' || !isJobId(id)) throw new InvalidJobOptionsError(`ids[${i}]`, 'must be a job id');
  });
  return { ids: [...new Set(ids as string[])] };
}

function toSummary(row: SummaryRow): JobSummary {
  const { payload_preview: payloadPreview, ...columns } = row;
  const {
    payload: _payload,
    lockedUntil: _lockedUntil,
    replays: _replays,
    ...job
  } = toJob({
    ...columns,
    payload: null,
    locked_until: null,
    replays: 0,
  });
  return { ...job, payloadPreview };
}
