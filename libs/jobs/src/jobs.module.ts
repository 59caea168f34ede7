import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobsExplorer } from './jobs.explorer';
import { JOBS_ASYNC_OPTIONS_TYPE, JobsConfigurableModule, JOBS_OPTIONS_TYPE } from './jobs.module-definition';
import { createJobsProviders } from './jobs.providers';
import { JobsRegistry } from './jobs.registry';
import { JobsRunner } from './jobs.runner';
import { JobsService } from './jobs.service';

/**
 * PostgreSQL-backed background jobs. `forRoot(options)` or `forRootAsync({ useFactory | useClass |
 * useExisting })`; by default it works through the host's TypeORM DataSource.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [JobsRegistry, JobsExplorer, JobsRunner, JobsService],
  exports: [JobsService, JobsRunner],
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
