import type { JobState, ParsedListFilter } from '../../interfaces';

/**
 * The WHERE clauses of the admin statements. A clause is only ever one of the fixed templates below,
 * each with `$n` placeholders; user input only travels as parameter values.
 */

/** The error signature of a job: the first line of its last error, trimmed, at most 200 characters
 * ("" without an error). The dead-letter groups and the `errorGroup` filter both use it. */
export const ERROR_SIGNATURE = `left(btrim(split_part(coalesce(last_error, ''), E'\\n', 1), E' \\t\\r'), 200)`;

/** Collects clauses and their parameters; every clause is one of the templates below. */
export class Where {
  readonly clauses: string[] = [];
  readonly values: unknown[] = [];

  add(template: (p: string) => string, value: unknown): this {
    this.values.push(value);
    this.clauses.push(template(`$${this.values.length}`));
    return this;
  }

  /** The next placeholder, for parameters that follow the WHERE clause (LIMIT, actor). */
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  toString(): string {
    return this.clauses.length === 0 ? 'true' : this.clauses.join(' AND ');
  }
}

/** The fixed clause templates. */
export const CLAUSE = {
  queue: (p: string) => `queue = ${p}`,
  type: (p: string) => `type = ${p}`,
  state: (p: string) => `state = ${p}`,
  states: (p: string) => `state = ANY(${p}::text[])`,
  id: (p: string) => `id = ${p}::bigint`,
  ids: (p: string) => `id = ANY(${p}::bigint[])`,
  key: (p: string) => `idempotency_key = ${p}`,
  payload: (p: string) => `payload @> ${p}::jsonb`,
  from: (p: string) => `created_at >= ${p}::timestamptz`,
  to: (p: string) => `created_at < ${p}::timestamptz`,
  createdAtMost: (p: string) => `created_at <= ${p}::timestamptz`,
  idBelow: (p: string) => `id < ${p}::bigint`,
  idAbove: (p: string) => `id > ${p}::bigint`,
  idAtMost: (p: string) => `id <= ${p}::bigint`,
  idAtLeast: (p: string) => `id >= ${p}::bigint`,
  error: (p: string) => `last_error ILIKE ${p}`,
  errorGroup: (p: string) => `${ERROR_SIGNATURE} = ${p}`,
  retrying: (p: string) => `attempts > ${p}::int`,
};

/** `text` as an ILIKE pattern matching it anywhere (its own %, _ and \\ taken literally). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function whereOf(filter: ParsedListFilter, states: readonly JobState[] | undefined = filter.states): Where {
  const w = new Where();
  if (filter.queue !== undefined) w.add(CLAUSE.queue, filter.queue);
  if (filter.type !== undefined) w.add(CLAUSE.type, filter.type);
  if (states !== undefined) {
    if (states.length === 1) w.add(CLAUSE.state, states[0]);
    else w.add(CLAUSE.states, states);
  }
  const search = filter.search;
  if (search?.kind === 'id') w.add(CLAUSE.id, search.id);
  else if (search?.kind === 'key') w.add(CLAUSE.key, search.key);
  else if (search?.kind === 'payload') w.add(CLAUSE.payload, search.containsJson);
  if (filter.from !== undefined) w.add(CLAUSE.from, filter.from);
  if (filter.to !== undefined) w.add(CLAUSE.to, filter.to);
  if (filter.error !== undefined) w.add(CLAUSE.error, containsPattern(filter.error));
  if (filter.errorGroup !== undefined) w.add(CLAUSE.errorGroup, filter.errorGroup);
  if (filter.retrying) w.add(CLAUSE.retrying, 0);
  return w;
}

const NOT_RUNNING = `state <> 'running'`;
const RUNNING = `state = 'running'`;

/**
 * The id expression a part orders by. The running jobs (few: bounded by the cluster's slots) are
 * read whole from the running index and sorted: ordered by `id`, the planner may walk the primary
 * key instead, filtering out every job that is not running (a table without statistics looks to it
 * as if running jobs were everywhere), which reads the whole table when few or none run.
 */
export function idOf(part: string): string {
  return part === RUNNING ? 'id + 0' : 'id';
}

/** The parts of the table a list reads: jobs that are not running (the list indexes), running jobs
 * (the running index), or both. */
export function partsOf(states: readonly JobState[] | undefined): string[] {
  if (states === undefined) return [NOT_RUNNING, RUNNING];
  if (!states.includes('running')) return [NOT_RUNNING];
  return states.length === 1 ? [RUNNING] : [NOT_RUNNING, RUNNING];
}
