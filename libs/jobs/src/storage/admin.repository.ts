import type { JobEventRecord, JobState, ParsedListFilter, ParsedListQuery } from '../interfaces';
import type { Database } from './database';
import type { AttemptRow, JobRow } from './job-row';
import { adminStatements, type BulkTarget, type ListWalk, type SqlQuery } from './statements/admin.sql';
import { sortedListStatement } from './statements/admin-sorted.sql';
import { INDEX_RANGES_ONLY, withValues } from './statements/statement';

/** A row of the job list: the job without payload, lease end and replays, plus a payload preview. */
export interface SummaryRow extends Omit<JobRow, 'payload' | 'locked_until' | 'replays'> {
  payload_preview: string;
  /** The sort column's exact value (sorted lists only), for the cursor. */
  sort_key?: string | null;
}

/** How far out of creation order a job's id may be: a time range's band of ids is widened by this
 * much on each side (a job created in a transaction open longer than this may be left out of it). */
export const TIME_RANGE_MARGIN_MS = 60 * 60_000;

/** A page of the job list, the statement that read it, and whether it was held to index order. */
export interface ListPage {
  rows: SummaryRow[];
  statement: SqlQuery;
  indexOrder: boolean;
}

/** The job for the detail view: its payload, or its size and a preview when it is too large. */
export interface DetailRow extends JobRow {
  payload_size: number;
  payload_preview: string | null;
}

/**
 * The operators' reads and bulk writes: the job list on keyset pages, the detail reads, and bulk
 * replay / cancel in bounded batches.
 */
export class AdminRepository {
  private readonly sql;

  constructor(private readonly db: Database) {
    this.sql = adminStatements(db.names);
  }

  /**
   * One page (up to `limit + 1` rows, newest first) and the statement that answered it. Picks how
   * to find the page. The planner estimates rows well per index, but cannot see that the rows of a
   * created_at range form a band of ids (ids grow with created_at), nor how selective a payload
   * containment is; walking ids from the newest job can then pass hundreds of thousands of rows
   * before the page fills. So:
   * - a search by id or idempotency key: one index lookup (`id`);
   * - a payload search: first the newest 5,000 jobs (`probe`, a few ms); if they do not fill the
   *   page, the value is rare, and the GIN index collects its jobs (`range`);
   * - a time range: ids grow with creation times, so the range is a band of ids, found by two
   *   binary searches over the primary key (`firstIdFrom`), widened by `TIME_RANGE_MARGIN_MS` on
   *   each side (a job is created at its transaction's start and gets its id at its insert, so a
   *   long transaction's jobs can sit a little out of order). The walk then reads that band from its
   *   newest end and stops once the page is full: the page costs what it reads, wherever the range
   *   lies; a rare filter in a wide range costs at most the band. The created_at conditions still
   *   decide which jobs are listed.
   */
  async page(parsed: ParsedListQuery): Promise<ListPage> {
    const { limit, before } = parsed;
    // An id walk (no search) or a sorted list reads its page in index order: its plan is held to index ranges,
    // whatever the statistics. A `range` walk collects its ids through a BRIN or GIN index (bitmap
    // scans only), and a `probe` reads the newest jobs by id: theirs are left to the planner.
    const run = async (statement: SqlQuery, indexOrder: boolean) => ({
      rows: await this.db.timed('list jobs', async (on) => {
        if (indexOrder) await on.query(INDEX_RANGES_ONLY);
        return (await on.query<SummaryRow>(statement)).rows;
      }),
      statement,
      indexOrder,
    });
    const walk = (how: ListWalk) => run(this.sql.list(parsed, limit, before, how), how === 'id');
    if (parsed.sort) return run(sortedListStatement(this.db.names.jobs, parsed, limit, parsed.sort), true);
    const search = parsed.search?.kind;
    // One job by its id or key: an index lookup, best left to the planner (the key's index is not in id order).
    if (search === 'id' || search === 'key') return run(this.sql.list(parsed, limit, before, 'id'), false);
    if (search === 'payload') {
      const probe = await walk('probe');
      if (probe.rows.length > limit) return probe;
      return walk('range');
    }
    if (parsed.from === undefined && parsed.to === undefined) return walk('id');
    const bound = async (at: Date | undefined, margin: number) =>
      at === undefined
        ? undefined
        : (await this.db.query<{ id: string }>(withValues({ text: this.sql.firstIdFrom }, [new Date(+at + margin)])))
            .rows[0].id;
    const [atLeast, below] = await Promise.all([
      bound(parsed.from, -TIME_RANGE_MARGIN_MS),
      bound(parsed.to, TIME_RANGE_MARGIN_MS),
    ]);
    return run(this.sql.list(parsed, limit, before, 'id', { atLeast, below }), true);
  }

  /** How PostgreSQL runs the page's statement: `EXPLAIN (ANALYZE, BUFFERS)`, as text. */
  async explain(parsed: ParsedListQuery): Promise<string> {
    const { statement, indexOrder } = await this.page(parsed);
    return this.db.transaction(async (client) => {
      if (indexOrder) await client.query(INDEX_RANGES_ONLY.text);
      const res = await client.query<{ 'QUERY PLAN': string }>({
        text: `EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`,
        values: statement.values,
      });
      return res.rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  /** The job (payload whole when `full` or at most `limit` bytes, else a preview of `previewChars`),
   * its attempts and its audit trail; null when it does not exist. */
  async detail(
    id: string,
    options: { full: boolean; limit: number; previewChars: number },
  ): Promise<{ row: DetailRow; attempts: AttemptRow[]; events: JobEventRecord[] } | null> {
    return this.db.timed('read the job', async (on) => {
      const res = await on.query<DetailRow>(
        withValues({ text: this.sql.detail }, [id, options.full, options.limit, options.previewChars]),
      );
      if (res.rows.length === 0) return null;
      const attempts = await on.query<AttemptRow>({ text: this.sql.attempts, values: [id] });
      const events = await on.query<JobEventRecord>({ text: this.sql.events, values: [id] });
      return { row: res.rows[0], attempts: attempts.rows, events: events.rows };
    });
  }

  /**
   * Runs one statement per batch until the selection is exhausted. With ids: chunks of 1,000. With a
   * filter: keyset on id, oldest first, up to the newest id when the action started (so jobs that
   * arrive meanwhile, or that a replay sends back to `failed`, are not taken again).
   */
  async bulk(
    action: 'replay' | 'cancel' | 'delete',
    selection: { ids?: string[]; filter?: ParsedListFilter },
    states: readonly JobState[],
    actor: string | null,
  ): Promise<number> {
    const statement = (target: BulkTarget) =>
      action === 'replay'
        ? this.sql.bulkReplay(target, actor)
        : action === 'cancel'
          ? this.sql.bulkCancel(target, actor)
          : this.sql.bulkDelete(target, actor);
    const run = async (target: BulkTarget) => {
      const res = await this.db.timed(action, (on) => on.query<{ n: number; last: string | null }>(statement(target)));
      return res.rows[0] ?? { n: 0, last: null };
    };
    let affected = 0;
    const { ids, filter } = selection;
    if (ids) {
      for (let i = 0; i < ids.length; i += 1_000) affected += (await run({ ids: ids.slice(i, i + 1_000), states })).n;
      return affected;
    }
    const newest = await this.db.query<{ id: string | null }>({ text: this.sql.newestId });
    const upTo = newest.rows[0]?.id;
    if (!upTo) return 0;
    let after: string | undefined;
    for (;;) {
      const batch = await run({ filter, states, after, upTo });
      affected += batch.n;
      if (batch.last === null) return affected;
      after = batch.last;
    }
  }
}
