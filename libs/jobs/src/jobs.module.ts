import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobsExplorer } from './jobs.explorer';
import { JOBS_ASYNC_OPTIONS_TYPE, JobsConfigurableModule, JOBS_OPTIONS_TYPE } from './jobs.module-definition';
import { createJobsProviders } from './jobs.providers';
import { JobsRegistry } from './jobs.registry';
import { JobsRunner } from './jobs.runner';
import { JobsService } from './jobs.service';
import { JobsAdminService } from './jobs-admin.service';
import { JobsMetrics } from './metrics/jobs-metrics';
import { JobsHealthIndicator } from './observability/jobs-health.indicator';
import { JobsQueueStats } from './stats/jobs-queue-stats';

/**
 * PostgreSQL-backed background jobs. `forRoot(options)` or `forRootAsync({ useFactory | useClass |
 * useExisting })`; by default it works through the host's TypeORM DataSource.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    JobsRegistry,
    JobsExplorer,
    JobsRunner,
    JobsService,
    JobsAdminService,
    JobsMetrics,
    JobsQueueStats,
    JobsHealthIndicator,
  ],
  exports: [JobsService, JobsRunner, JobsAdminService, JobsMetrics, JobsQueueStats, JobsHealthIndicator],
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
