import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { JobsModuleOptions } from './interfaces';

export interface JobsModuleExtras {
  /** Register the module globally, so `JobsService` can be injected anywhere. */
  isGlobal?: boolean;
  /** Name of the host's TypeORM DataSource to use (omit for the default one). */
  dataSourceName?: string;
}

export const {
  ConfigurableModuleClass: JobsConfigurableModule,
  MODULE_OPTIONS_TOKEN: JOBS_MODULE_OPTIONS,
  OPTIONS_TYPE: JOBS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: JOBS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<JobsModuleOptions>({ moduleName: 'Jobs' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createJobsOptions')
  .setExtras<JobsModuleExtras>({ isGlobal: false, dataSourceName: undefined }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
