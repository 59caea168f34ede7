import { randomBytes } from 'node:crypto';
import { InvalidJobOptionsError } from '../errors';
import { SCHEMA_NAME } from '../jobs.constants';
import { createMigratedSchema, dropSchemaCascade, type TestDatabase } from '../storage/test-schema';

export type { TestDatabase };

/** A schema of one test file's own, at the module's latest version. */
export interface JobsTestSchema {
  /** Its name, for `JobsModule.forRoot({ schema })`. */
  readonly name: string;
  /** Drops it with everything in it. Call it after `app.close()`. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh schema with the module's tables (its migrations applied), named
 * `<prefix>_<random>` (prefix `jobs_test`), so test files running in parallel share nothing. The
 * connection it opens is closed before it returns, as is the one `drop()` opens.
 */
export async function createJobsTestSchema(
  db: TestDatabase,
  options: { prefix?: string } = {},
): Promise<JobsTestSchema> {
  const name = `${options.prefix ?? 'jobs_test'}_${randomBytes(4).toString('hex')}`;
  if (!SCHEMA_NAME.test(name)) {
    throw new InvalidJobOptionsError('prefix', `"${options.prefix}" must make a name matching ${SCHEMA_NAME.source}`);
  }
  await createMigratedSchema(db, name);
  return { name, drop: () => dropSchemaCascade(db, name) };
}
