import { EntitySchema } from 'typeorm';
import type { AttemptRow, JobRow } from '../job-row';
import { DEFAULTS } from '../../jobs.constants';
import { quoteSchema } from '../schema-name';

/**
 * TypeORM entity schemas of the module's tables, for reads through a host's DataSource (reports,
 * admin queries): add `...createJobsEntities(schema)` (or `JOBS_ENTITIES`) to its `entities` and use
 * `dataSource.getRepository<JobRow>('Job')`. The engine itself writes with its own SQL; never let
 * TypeORM `synchronize` these tables — the module's migrations own their shape.
 */
export function createJobsEntities(schema: string = DEFAULTS.schema): [EntitySchema<JobRow>, EntitySchema<AttemptRow>] {
  quoteSchema(schema);
  const job = new EntitySchema<JobRow>({
    name: 'Job',
    tableName: 'jobs',
    schema,
    synchronize: false,
    columns: {
      id: { type: 'bigint', primary: true },
      queue: { type: 'text' },
      type: { type: 'text' },
      payload: { type: 'jsonb' },
      state: { type: 'text' },
      priority: { type: 'smallint' },
      attempts: { type: 'int' },
      max_attempts: { type: 'int' },
      run_at: { type: 'timestamptz' },
      created_at: { type: 'timestamptz' },
      updated_at: { type: 'timestamptz' },
      started_at: { type: 'timestamptz', nullable: true },
      finished_at: { type: 'timestamptz', nullable: true },
      locked_by: { type: 'text', nullable: true },
      locked_until: { type: 'timestamptz', nullable: true },
      last_error: { type: 'text', nullable: true },
      replays: { type: 'int' },
      idempotency_key: { type: 'text', nullable: true },
      idempotency_active: { type: 'boolean' },
    },
  });
  const attempt = new EntitySchema<AttemptRow & { id: string; job_id: string }>({
    name: 'JobAttempt',
    tableName: 'job_attempts',
    schema,
    synchronize: false,
    columns: {
      id: { type: 'bigint', primary: true },
      job_id: { type: 'bigint' },
      replay: { type: 'int' },
      attempt: { type: 'int' },
      outcome: { type: 'text' },
      node_id: { type: 'text', nullable: true },
      started_at: { type: 'timestamptz', nullable: true },
      finished_at: { type: 'timestamptz' },
      error: { type: 'text' },
      stack: { type: 'text', nullable: true },
    },
  }) as unknown as EntitySchema<AttemptRow>;
  return [job, attempt];
}

/** Entity schemas for the default schema `jobs`. */
export const JOBS_ENTITIES = createJobsEntities();
