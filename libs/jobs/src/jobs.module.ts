import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobsRegistry } from './core/handler-registry';
import { JOBS_STORAGE } from './jobs.constants';
import { JobsExplorer } from './jobs.explorer';
import { JOBS_ASYNC_OPTIONS_TYPE, JobsConfigurableModule, JOBS_OPTIONS_TYPE } from './jobs.module-definition';
import { createJobsProviders } from './jobs.providers';
import { JobsHealthIndicator } from './observability/jobs-health.indicator';
import { JobsMetrics } from './observability/jobs-metrics';
import { JobSchedulesService } from './services/job-schedules.service';
import { JobsAdminService } from './services/jobs-admin.service';
import { JobsOperatorsService } from './services/jobs-operators.service';
import { JobsRunner } from './services/jobs-runner';
import { JobsService } from './services/jobs.service';
import { QueueStatisticsService } from './services/queue-statistics.service';

/**
 * PostgreSQL-backed background jobs. `forRoot(options)` or `forRootAsync({ useFactory | useClass |
 * useExisting })`; by default it works through the host's TypeORM DataSource.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    JobsRegistry,
    JobsExplorer,
    // Before the runner: the code's schedules are written before the scheduler starts.
    JobSchedulesService,
    JobsRunner,
    JobsService,
    JobsAdminService,
    JobsOperatorsService,
    JobsMetrics,
    QueueStatisticsService,
    JobsHealthIndicator,
  ],
  exports: [
    JobsService,
    JobSchedulesService,
    JobsRunner,
    JobsAdminService,
    JobsOperatorsService,
    JobsMetrics,
    QueueStatisticsService,
    JobsHealthIndicator,
    // For the API module's change feed (the token is not part of the public API).
    JOBS_STORAGE,
  ],
})
export class JobsModule extends JobsConfigurableModule {
  static forRoot(options: typeof JOBS_OPTIONS_TYPE): DynamicModule {
    return withProviders(super.forRoot(options), options.dataSourceName);
  }

  static forRootAsync(options: typeof JOBS_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withProviders(super.forRootAsync(options), options.dataSourceName);
  }
}

function withProviders(module: DynamicModule, dataSourceName?: string): DynamicModule {
  return { ...module, providers: [...(module.providers ?? []), ...createJobsProviders(dataSourceName)] };
}
