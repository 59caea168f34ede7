import { JobsStatementTimeoutError } from '../errors';
import type { JobState } from '../interfaces';
import { JOB_STATES } from '../jobs.constants';
import type { Database } from './database';
import { INDEX_RANGES_ONLY, withValues } from './statements/statement';
import { statsStatements } from './statements/stats.sql';

/** Jobs of one queue in one state. */
export interface StateCountRow {
  queue: string;
  state: JobState;
  n: string;
}

const LIVE_STATES: readonly JobState[] = ['pending', 'scheduled', 'running'];

/** Per-minute outcome counts of one queue. */
export interface MinuteRow {
  queue: string;
  minute: Date;
  completed: number;
  failed: number;
  retried: number;
}

/** Up to this many pages (64 MB at 8 kB, about 200,000 jobs) the table is counted whole. */
export const COUNT_ALL_UP_TO_PAGES = 8_000;
/** Most jobs of one unfinished state counted one by one; past it, the state is estimated. */
export const LIVE_COUNT_CAP = 1_000;
/** Pages the estimate samples (16 MB at 8 kB, whatever the table's size). */
const SAMPLE_PAGES = 2_000;

/** The counts behind the queue statistics; `estimated` names the states that were estimated. */
export interface CountsRead {
  rows: StateCountRow[];
  estimated: JobState[];
  oldest: Array<{ queue: string; oldest: Date }>;
}

/** The queue statistics' reads and the throughput roll-up's writes. */
export class StatsRepository {
  private readonly sql;

  constructor(private readonly db: Database) {
    this.sql = statsStatements(db.names);
  }

  /**
   * Jobs counted by queue and state, and the oldest ready job per queue, each statement within
   * `timeoutMs` (a timeout is a `JobsStatementTimeoutError`). A table of up to
   * `COUNT_ALL_UP_TO_PAGES` pages (its file's size: no statistics needed) is counted whole, unless
   * that runs out of time. Otherwise no statement reads the table: each unfinished state is counted
   * through its partial index up to `LIVE_COUNT_CAP` jobs, and the finished states (and an
   * unfinished one past the cap) are estimated from a sample of `SAMPLE_PAGES` random pages.
   */
  async counts(timeoutMs: number): Promise<CountsRead> {
    const ms = Math.max(1, Math.floor(timeoutMs));
    const read = <R>(statement: { text: string }, values: unknown[] = [], indexRanges = true) =>
      this.db.timed(
        'count jobs by state',
        async (on) => {
          if (indexRanges) await on.query(INDEX_RANGES_ONLY);
          return (await on.query<R & object>(withValues(statement, values))).rows as R[];
        },
        ms,
      );
    const pages = (await read<{ pages: number }>(this.sql.tablePages, [], false))[0]?.pages ?? 0;
    const oldest = read<{ queue: string; oldest: Date }>(this.sql.oldestPending);
    oldest.catch(() => undefined); // awaited below; a failure of the counts must not leave it unhandled
    if (pages <= COUNT_ALL_UP_TO_PAGES) {
      try {
        const rows = await read<StateCountRow>(this.sql.countAll, [], false);
        return { rows, estimated: [], oldest: await oldest };
      } catch (err) {
        if (!(err instanceof JobsStatementTimeoutError)) throw err;
      }
    }
    const percent = Math.min(100, (100 * SAMPLE_PAGES) / Math.max(pages, 1));
    const [live, sampled] = await Promise.all([
      read<StateCountRow>(this.sql.countLiveBounded, [LIVE_COUNT_CAP]),
      read<StateCountRow>(this.sql.countSampled, [percent], false),
    ]);
    const liveTotal = new Map<JobState, number>();
    for (const r of live) liveTotal.set(r.state, (liveTotal.get(r.state) ?? 0) + Number(r.n));
    const capped = new Set(LIVE_STATES.filter((s) => (liveTotal.get(s) ?? 0) >= LIVE_COUNT_CAP));
    const counted = new Map(live.map((r) => [`${r.queue}\u0000${r.state}`, Number(r.n)]));
    const rows: StateCountRow[] = live.filter((r) => !capped.has(r.state));
    const seen = new Set<string>();
    for (const r of sampled) {
      if (!capped.has(r.state) && LIVE_STATES.includes(r.state)) continue;
      // A capped state's queue has at least what the bounded read saw of it.
      const key = `${r.queue}\u0000${r.state}`;
      seen.add(key);
      rows.push({ queue: r.queue, state: r.state, n: String(Math.max(Number(r.n), counted.get(key) ?? 0)) });
    }
    for (const r of live) {
      const key = `${r.queue}\u0000${r.state}`;
      if (capped.has(r.state) && !seen.has(key)) rows.push(r);
    }
    const estimated = JOB_STATES.filter((s) => !LIVE_STATES.includes(s) || capped.has(s));
    return { rows, estimated, oldest: await oldest };
  }

  /** How PostgreSQL runs the bounded counts or the oldest-pending read, as they run (index ranges
   * only): `EXPLAIN (ANALYZE, BUFFERS)` as text. For plan tests. */
  async explain(which: 'countLiveBounded' | 'oldestPending'): Promise<string> {
    return this.db.transaction(async (client) => {
      await client.query(INDEX_RANGES_ONLY.text);
      const values = which === 'countLiveBounded' ? [LIVE_COUNT_CAP] : [];
      const res = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS) ${this.sql[which].text}`,
        values,
      );
      return res.rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  /** Adds a node's per-minute outcomes to the roll-up (one statement). */
  async addMinutes(deltas: MinuteRow[]): Promise<void> {
    await this.db.query(
      withValues(this.sql.addMinutes, [
        deltas.map((d) => d.queue),
        deltas.map((d) => d.minute),
        deltas.map((d) => d.completed),
        deltas.map((d) => d.failed),
        deltas.map((d) => d.retried),
      ]),
    );
  }

  async minutesSince(from: Date): Promise<MinuteRow[]> {
    return (await this.db.query<MinuteRow>(withValues(this.sql.minutesSince, [from]))).rows;
  }

  async pruneMinutes(olderThan: Date): Promise<void> {
    await this.db.query(withValues(this.sql.pruneMinutes, [olderThan]));
  }
}
