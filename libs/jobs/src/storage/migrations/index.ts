import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULTS } from '../../jobs.constants';
import { quoteSchema } from '../schema-name';
import { initMigration } from './001-init';
import { deliveryMigration } from './002-delivery';
import { adminMigration } from './003-admin';
import { nodesMigration } from './004-nodes';
import { hotPathDown, hotPathMigration } from './005-hot-path';
import { schedulesMigration } from './006-schedules';
import { operatorsDown, operatorsMigration } from './007-operators';
import { livenessDown, livenessMigration } from './008-liveness';

/** One versioned step of the module's schema. Each step records itself in `schema_migrations`,
 * so the module can check the version whoever ran it (the module itself or the host's TypeORM). */
export interface JobsMigrationStep {
  version: number;
  name: string;
  statements(quotedSchema: string): string[];
  /** Undoes the step, for TypeORM's `migration:revert`. */
  down(quotedSchema: string): string[];
}

export const JOBS_MIGRATION_STEPS: readonly JobsMigrationStep[] = [
  { version: 1, name: 'init', statements: initMigration, down: (s) => [`DROP SCHEMA ${s} CASCADE`] },
  {
    version: 2,
    name: 'delivery',
    statements: deliveryMigration,
    down: (s) => [
      `DROP TABLE ${s}.workers`,
      `DROP SEQUENCE ${s}.workers_lock_seq`,
      `ALTER TABLE ${s}.jobs DROP COLUMN idempotency_key, DROP COLUMN idempotency_active`,
      `DELETE FROM ${s}.schema_migrations WHERE version = 2`,
    ],
  },
  {
    version: 3,
    name: 'admin',
    statements: adminMigration,
    down: (s) => [
      `DROP TABLE ${s}.queue_stats`,
      `DROP TABLE ${s}.job_events`,
      `DROP TABLE ${s}.queues`,
      `DROP INDEX ${s}.jobs_state_list_idx, ${s}.jobs_queue_list_idx, ${s}.jobs_type_list_idx,
         ${s}.jobs_idempotency_key_idx, ${s}.jobs_payload_idx, ${s}.jobs_created_brin`,
      `DELETE FROM ${s}.schema_migrations WHERE version = 3`,
    ],
  },
  {
    version: 4,
    name: 'nodes',
    statements: nodesMigration,
    down: (s) => [
      `ALTER TABLE ${s}.job_attempts RENAME COLUMN node_id TO worker_id`,
      `ALTER SEQUENCE ${s}.nodes_lock_seq RENAME TO workers_lock_seq`,
      `ALTER TABLE ${s}.nodes RENAME CONSTRAINT nodes_pkey TO workers_pkey`,
      `ALTER TABLE ${s}.nodes RENAME TO workers`,
      `DELETE FROM ${s}.schema_migrations WHERE version = 4`,
    ],
  },
  { version: 5, name: 'hot_path', statements: hotPathMigration, down: hotPathDown },
  {
    version: 6,
    name: 'schedules',
    statements: schedulesMigration,
    down: (s) => [
      `DROP TABLE ${s}.schedule_runs`,
      `DROP TABLE ${s}.schedules`,
      `DELETE FROM ${s}.schema_migrations WHERE version = 6`,
    ],
  },
  { version: 7, name: 'operators', statements: operatorsMigration, down: operatorsDown },
  { version: 8, name: 'liveness', statements: livenessMigration, down: livenessDown },
];

export const LATEST_SCHEMA_VERSION = JOBS_MIGRATION_STEPS[JOBS_MIGRATION_STEPS.length - 1].version;

/** The statements of one step, followed by the insert that records it. */
export function stepSql(step: JobsMigrationStep, quotedSchema: string): string[] {
  return [
    ...step.statements(quotedSchema),
    `INSERT INTO ${quotedSchema}.schema_migrations (version, name) VALUES (${step.version}, '${step.name}')`,
  ];
}

/** The advisory lock every path that changes a schema takes: the module's runner (session-level)
 * and the host's TypeORM migrations (transaction-level), so neither runs beside the other. */
export function migrationLockKey(schema: string): string {
  return `jobs:migrate:${schema}`;
}

/** Whether `version` is recorded in `<schema>.schema_migrations` (false when the table is missing). */
async function isRecorded(queryRunner: QueryRunner, quotedSchema: string, version: number): Promise<boolean> {
  const table = `${quotedSchema}.schema_migrations`;
  const [found] = await queryRunner.query('SELECT to_regclass($1)::text AS t', [table]);
  if (!found?.t) return false;
  const rows = await queryRunner.query(`SELECT 1 FROM ${table} WHERE version = $1`, [version]);
  return rows.length > 0;
}

/**
 * Runs `work` in a transaction holding the schema's migration lock: TypeORM's own transaction when it
 * runs migrations in one (`migrationsTransactionMode` 'all' or 'each'), else one of the step's own, so
 * a step is all or nothing in every mode. The lock waits for a runner or another instance migrating
 * the same schema, and is released at the end of the transaction.
 */
async function underMigrationLock(queryRunner: QueryRunner, schema: string, work: () => Promise<void>): Promise<void> {
  const own = !queryRunner.isTransactionActive;
  if (own) await queryRunner.startTransaction();
  try {
    await queryRunner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [migrationLockKey(schema)]);
    await work();
    if (own) await queryRunner.commitTransaction();
  } catch (err) {
    if (own) await queryRunner.rollbackTransaction();
    throw err;
  }
}

const TIMESTAMP_BASE = 1763900000000;

/**
 * TypeORM migration classes for the given schema, for hosts that run the module's migrations
 * with their own (`migrations: [...JOBS_MIGRATIONS]`). Each step takes the module's migration lock
 * and is skipped when `schema_migrations` already records it (applied by `migrationsRun`, or by
 * another instance running the same migrations at once), so either way of migrating can follow the
 * other. Their `down()` undoes the step (the first one drops the schema), unless it is not recorded.
 */
export function createJobsMigrations(schema: string = DEFAULTS.schema): Array<new () => MigrationInterface> {
  const quoted = quoteSchema(schema);
  return JOBS_MIGRATION_STEPS.map((step) => {
    const name = `Jobs${schema.replace(/_/g, '')}${step.name}${TIMESTAMP_BASE + step.version}`;
    const migration = class implements MigrationInterface {
      name = name;
      async up(queryRunner: QueryRunner): Promise<void> {
        await underMigrationLock(queryRunner, schema, async () => {
          if (await isRecorded(queryRunner, quoted, step.version)) return;
          for (const sql of stepSql(step, quoted)) await queryRunner.query(sql);
        });
      }
      async down(queryRunner: QueryRunner): Promise<void> {
        await underMigrationLock(queryRunner, schema, async () => {
          if (!(await isRecorded(queryRunner, quoted, step.version))) return;
          for (const sql of step.down(quoted)) await queryRunner.query(sql);
        });
      }
    };
    Object.defineProperty(migration, 'name', { value: name });
    return migration;
  });
}

/** The module's migrations for the default schema `jobs`. */
export const JOBS_MIGRATIONS = createJobsMigrations();
