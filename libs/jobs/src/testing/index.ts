/*
 * `nest-pg-jobs/testing`: helpers for an application's tests. Not for production code.
 */
export { JobsTester, type DrainOptions, type JobsFilter, type ProviderLookup } from './jobs-tester';
export { JobsTestingModule } from './jobs-testing.module';
export { createJobsTestSchema, type JobsTestSchema, type TestDatabase } from './test-schema';
export type { DeepPartial, PayloadMatch } from './match-payload';
