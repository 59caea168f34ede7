import { TERMINAL_STATES } from '../../jobs.constants';

/**
 * A statement of the engine: its text, and a name when `pg` should prepare it once per connection.
 * The schema is part of every name, because one process may serve several schemas. Only the
 * validated schema name is ever spliced into the text; values travel as parameters.
 */
export interface Statement {
  name?: string;
  text: string;
}

/** `statement` with its parameters, ready for `query()`. */
export function withValues(statement: Statement, values: unknown[]): Statement & { values: unknown[] } {
  return { ...statement, values };
}

/**
 * The fence of a batch write to jobs `j` of attempts this node owns: $1 the job ids, $2 their
 * attempts as keys `<id>:<attempt>` (see `attemptKeys`), `owner` the owner's parameter. Rows are
 * found by primary key (`id = ANY`) and checked against the keys by a hashed lookup, with no join:
 * a join of the ids with the table let the planner, misled by statistics taken while another node
 * owned the running jobs (it estimates one running row for this owner), compare every running row
 * with every id (after a 1,000,000-job soak, 500 completions took 400-800 ms instead of ~6 ms).
 * `state IN ('running', '')` means `state = 'running'` (no job has an empty state) while keeping the
 * running-jobs index out of the plan: until a vacuum, it holds an entry for every job that ran.
 */
export function ownedAttemptsFence(owner: string): string {
  return `j.id = ANY($1::bigint[]) AND j.state IN ('running', '') AND j.locked_by = ${owner}
        AND (j.id::text || ':' || j.attempts::text) = ANY($2::text[])`;
}

/** The keys `ownedAttemptsFence` checks: `<id>:<attempt>` for each owned attempt. */
export function attemptKeys(items: ReadonlyArray<{ id: string; attempt: number }>): string[] {
  return items.map((i) => `${i.id}:${i.attempt}`);
}

/**
 * `<alias.>state` is one of the finished states, as a literal list: the predicate of the
 * finished-jobs index, which a statement must repeat for the planner to use that partial index.
 */
export function finishedState(alias = ''): string {
  return `${alias}state IN (${TERMINAL_STATES.map((s) => `'${s}'`).join(', ')})`;
}

/**
 * Plans that read index ranges in index order, whatever the planner's statistics: a table never
 * analyzed (right after a bulk load or a restore) looks to the planner as if any value could be
 * anywhere, and it would sort every match of a state or scan the table. For the statements whose
 * every shape has an index range (the list walks, the dead-letter groups, the bounded counts):
 * sequential and bitmap scans and sorts are then a last resort. Transaction-local. JIT is off too:
 * a plan that keeps a disabled step (the sort of the few running jobs) carries its penalty in its
 * cost, which would make PostgreSQL compile a read of 50 rows (300-500 ms).
 */
export const INDEX_RANGES_ONLY: Statement = {
  text: 'SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off; SET LOCAL jit = off',
};
