import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as ChangeFeedHubSource from '../../libs/jobs/src/api/change-feed.hub';
import type * as QueueCapacitySource from '../../libs/jobs/src/core/queue-capacity';
import type * as ConstantsSource from '../../libs/jobs/src/jobs.constants';
import type * as CadenceSource from '../../libs/jobs/src/core/schedule-cadence';
import type * as PlanSource from '../../libs/jobs/src/core/schedule-plan';
import type * as BackoffSource from '../../libs/jobs/src/runtime/backoff';
import type * as TableUpkeepSource from '../../libs/jobs/src/runtime/table-upkeep';
import type * as MigratorSource from '../../libs/jobs/src/storage/migrator';
import type * as SchemaNameSource from '../../libs/jobs/src/storage/schema-name';
import type * as ClaimSource from '../../libs/jobs/src/storage/statements/claim.sql';
import type * as CompleteSource from '../../libs/jobs/src/storage/statements/complete.sql';
import type * as RenewSource from '../../libs/jobs/src/storage/statements/renew.sql';
import type * as MaintenanceSource from '../../libs/jobs/src/storage/statements/maintenance.sql';

/*
 * The library's internals that unit tests reach: not part of its public entry, so they are loaded
 * from its build output by path (types from the sources, through the project reference), the way the
 * tests load the server's code. The package resolves to the same files, so classes are the same
 * objects the application uses (`app.get(ChangeFeedHub)` works).
 */
const load = createRequire(__filename);
const dist = join(__dirname, '../../../libs/jobs/dist');

export type { JobsStorage } from '../../libs/jobs/src/storage/jobs-storage';
export type ChangeFeedHub = ChangeFeedHubSource.ChangeFeedHub;
export const { ChangeFeedHub } = load(join(dist, 'api/change-feed.hub')) as typeof ChangeFeedHubSource;
export const { QueueCapacity } = load(join(dist, 'core/queue-capacity')) as typeof QueueCapacitySource;
export const { Cadence } = load(join(dist, 'core/schedule-cadence')) as typeof CadenceSource;
export const { planTicks } = load(join(dist, 'core/schedule-plan')) as typeof PlanSource;
export type Cadence = CadenceSource.Cadence;
export type DueSchedule = PlanSource.DueSchedule;
export const { JOBS_STORAGE } = load(join(dist, 'jobs.constants')) as typeof ConstantsSource;
export const { backoffDelay } = load(join(dist, 'runtime/backoff')) as typeof BackoffSource;
export const { TableUpkeep } = load(join(dist, 'runtime/table-upkeep')) as typeof TableUpkeepSource;
export const { runMigrations, schemaVersion } = load(join(dist, 'storage/migrator')) as typeof MigratorSource;
export const { schemaNames } = load(join(dist, 'storage/schema-name')) as typeof SchemaNameSource;
export const { claimStatement } = load(join(dist, 'storage/statements/claim.sql')) as typeof ClaimSource;
export const { completeStatement } = load(join(dist, 'storage/statements/complete.sql')) as typeof CompleteSource;
export const { renewStatement } = load(join(dist, 'storage/statements/renew.sql')) as typeof RenewSource;
export const { maintenanceStatements } = load(
  join(dist, 'storage/statements/maintenance.sql'),
) as typeof MaintenanceSource;
