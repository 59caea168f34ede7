import { Inject, Injectable, Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { DataSource } from 'typeorm';
import { resolveOptions, type ResolvedJobsOptions } from './core/module-options';
import { InvalidJobOptionsError } from './errors';
import type { JobsModuleOptions } from './interfaces';
import { JOBS_NODE_ID, JOBS_RESOLVED_OPTIONS, JOBS_STORAGE } from './jobs.constants';
import { JOBS_MODULE_OPTIONS } from './jobs.module-definition';
import { openDataSource } from './storage/database';
import { JobsStorage } from './storage/jobs-storage';

const JOBS_DATA_SOURCE = Symbol('JOBS_DATA_SOURCE');

/** The DataSource the module works through, and whether the module opened (and so closes) it. */
export interface JobsDataSource {
  dataSource: DataSource;
  owned: boolean;
}

/** Providers of the options, the connection and the storage; `dataSourceName` picks the host's DataSource. */
export function createJobsProviders(dataSourceName?: string): Provider[] {
  return [
    {
      provide: JOBS_RESOLVED_OPTIONS,
      inject: [JOBS_MODULE_OPTIONS],
      useFactory: (options: JobsModuleOptions) => resolveOptions(options),
    },
    {
      provide: JOBS_NODE_ID,
      useFactory: () => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    },
    {
      provide: JOBS_DATA_SOURCE,
      inject: [JOBS_MODULE_OPTIONS, { token: getDataSourceToken(dataSourceName), optional: true }],
      useFactory: async (options: JobsModuleOptions, host?: DataSource): Promise<JobsDataSource> => {
        if (options.connection) return { dataSource: await openDataSource(options.connection), owned: true };
        if (!host) {
          throw new InvalidJobOptionsError(
            'connection',
            `no TypeORM DataSource${dataSourceName ? ` named "${dataSourceName}"` : ''} was found; ` +
              'import TypeOrmModule.forRoot() before JobsModule, or give JobsModule its own `connection`',
          );
        }
        return { dataSource: host, owned: false };
      },
    },
    {
      provide: JOBS_STORAGE,
      inject: [JOBS_RESOLVED_OPTIONS, JOBS_DATA_SOURCE],
      useFactory: async (options: ResolvedJobsOptions, ds: JobsDataSource): Promise<JobsStorage> => {
        try {
          const { storage, applied } = await JobsStorage.open(ds.dataSource, options);
          if (applied.length > 0) {
            new Logger('Jobs').log(`Applied schema migrations ${applied.join(', ')} to "${options.schema}"`);
          }
          return storage;
        } catch (err) {
          // A start that fails here runs no shutdown hook: close the connection this module opened.
          if (ds.owned) await ds.dataSource.destroy().catch(() => undefined);
          throw err;
        }
      },
    },
    JobsConnectionCloser,
  ];
}

/** Destroys the module's own connection at shutdown; leaves a host's DataSource to the host. */
@Injectable()
export class JobsConnectionCloser implements OnApplicationShutdown {
  constructor(@Inject(JOBS_DATA_SOURCE) private readonly ds: JobsDataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.ds.owned && this.ds.dataSource.isInitialized) await this.ds.dataSource.destroy();
  }
}
