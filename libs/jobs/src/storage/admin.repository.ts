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
   * - a time range ending in the past: the planner's estimates (no rows read) of the jobs created
   *   since `to` and of those in the range decide between passing the former (`id`) and sorting the
   *   ids of the latter (`range`, through the BRIN index); with a cursor, the walk starts at the
   *   cursor's job, so only the jobs created between `to` and it count as passed. The cost is the
   *   smaller of the two, so the worst case is a wide range far in the past (half the table in it,
   *   half newer than it).
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
    if (parsed.to === undefined) return walk('id');
    const cursorRow =
      before === undefined
        ? undefined
        : (await this.db.query<{ created_at: Date }>({ text: this.sql.createdAt, values: [before] })).rows[0];
    const { within, newer } = this.sql.estimateRange(parsed.from, parsed.to, cursorRow?.created_at);
    const [inRange, after] = await Promise.all([this.estimate(within), this.estimate(newer)]);
    return walk(after > inRange ? 'range' : 'id');
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

  private async estimate(query: SqlQuery): Promise<number> {
    const res = await this.db.query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(query);
    return res.rows[0]['QUERY PLAN'][0].Plan['Plan Rows'];
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
