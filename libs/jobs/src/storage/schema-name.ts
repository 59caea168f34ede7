import { InvalidJobOptionsError } from '../errors';
import { SCHEMA_NAME as IDENTIFIER } from '../jobs.constants';

/** Checks a schema name from configuration and returns it double-quoted for SQL text. Schema
 * names never come from requests; this check makes sure a configuration typo cannot inject SQL. */
export function quoteSchema(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new InvalidJobOptionsError('schema', `"${schema}" must match ${IDENTIFIER.source}`);
  }
  return `"${schema}"`;
}

/** The names every statement is written with, for one schema. */
export interface SchemaNames {
  schema: string;
  /** The schema, double-quoted. */
  quoted: string;
  jobs: string;
  /** The attempt history (`job_attempts`). */
  attempts: string;
  /** The audit trail and handler reports (`job_events`). */
  events: string;
  /** Queue settings (pause). */
  queues: string;
  /** The registry of live nodes. */
  nodes: string;
  /** The per-minute throughput roll-up. */
  queueStats: string;
  /** Recurring jobs, and their run history (one row per tick). */
  schedules: string;
  scheduleRuns: string;
  /** Operator actions whose subject may be gone (deletes, cleans) or is not a job. */
  audit: string;
  /** LISTEN/NOTIFY channel on which new ready jobs (payload: queue name) are announced. */
  wakeChannel: string;
  /** Channel on which cancellations of running jobs (payload: job id) are announced. */
  cancelChannel: string;
}

export function schemaNames(schema: string): SchemaNames {
  const s = quoteSchema(schema);
  return {
    schema,
    quoted: s,
    jobs: `${s}.jobs`,
    attempts: `${s}.job_attempts`,
    events: `${s}.job_events`,
    queues: `${s}.queues`,
    nodes: `${s}.nodes`,
    queueStats: `${s}.queue_stats`,
    schedules: `${s}.schedules`,
    scheduleRuns: `${s}.schedule_runs`,
    audit: `${s}.audit_log`,
    wakeChannel: `${schema}_wake`,
    cancelChannel: `${schema}_cancel`,
  };
}
