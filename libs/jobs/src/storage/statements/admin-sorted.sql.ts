import type { ListSort, ParsedListFilter } from '../../interfaces';
import { SUMMARY_COLUMNS, type SqlQuery } from './admin.sql';
import { idOf, partsOf, whereOf } from './admin-where';
import { finishedState } from './statement';

/** A sort column's exact value as text, in UTC with microseconds: the cursor carries it back. */
const keyText = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Each sort column, the index that is already in its order, and the predicate of that index. */
const SORTED = {
  runAt: { column: 'run_at', part: `state = 'scheduled'` }, // jobs_scheduled_idx (run_at)
  finishedAt: { column: 'finished_at', part: finishedState() }, // jobs_finished_list_idx
} as const;

/**
 * One page of a list in another order than the default (id, newest first): `limit + 1` rows, each
 * with its `sort_key`. Keyset on (column, id): the page starts right after the cursor's row, read in
 * order from an index whose predicate the statement repeats as a literal (so the planner can use the
 * partial index whatever the parameters), and stops after `limit + 1` rows.
 */
export function sortedListStatement(jobs: string, filter: ParsedListFilter, limit: number, sort: ListSort): SqlQuery {
  const w = whereOf(filter);
  const dir = sort.order === 'asc' ? 'ASC' : 'DESC';
  const cmp = sort.order === 'asc' ? '>' : '<';
  if (sort.by === 'id') {
    if (sort.after) {
      const id = w.param(sort.after.id);
      w.clauses.push(`id ${cmp} ${id}::bigint`);
    }
    const n = w.param(limit + 1);
    const branch = (part: string) =>
      `SELECT ${SUMMARY_COLUMNS}, NULL::text AS sort_key FROM ${jobs} WHERE ${w} AND ${part} ORDER BY ${idOf(part)} ${dir} LIMIT ${n}`;
    const parts = partsOf(filter.states);
    const text =
      parts.length === 1
        ? branch(parts[0])
        : `SELECT * FROM ((${parts.map(branch).join(') UNION ALL (')})) u ORDER BY id ${dir} LIMIT ${n}`;
    return { text, values: w.values };
  }
  const { column, part } = SORTED[sort.by];
  if (sort.after) {
    const key = w.param(sort.after.key);
    const id = w.param(sort.after.id);
    w.clauses.push(`(${column}, id) ${cmp} (${key}::timestamptz, ${id}::bigint)`);
  }
  const text = `SELECT ${SUMMARY_COLUMNS}, ${keyText(column)} AS sort_key FROM ${jobs}
    WHERE ${w} AND ${part} ORDER BY ${column} ${dir}, id ${dir} LIMIT ${w.param(limit + 1)}`;
  return { text, values: w.values };
}
