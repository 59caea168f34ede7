import { Inject, Injectable, Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { InvalidJobOptionsError } from './errors';
import type { JobsModuleOptions } from './interfaces';
import { JOBS_STORE, JOBS_WORKER_ID } from './jobs.constants';
import { JOBS_MODULE_OPTIONS } from './jobs.module-definition';
import { JobsStore } from './storage/jobs.store';
import { assertSchemaVersion, runMigrations } from './storage/migrator';
import { resolveOptions, type ResolvedJobsOptions } from './utils/resolve-options';

export const JOBS_RESOLVED_OPTIONS = Symbol('JOBS_RESOLVED_OPTIONS');
const JOBS_DATA_SOURCE = Symbol('JOBS_DATA_SOURCE');

/** The DataSource the module works through, and whether the module opened (and so closes) it. */
export interface JobsDataSource {
  dataSource: DataSource;
  owned: boolean;
}

function poolOf(dataSource: DataSource): Pool {
  if (dataSource.options.type !== 'postgres') {
    throw new InvalidJobOptionsError('dataSource', `must be a PostgreSQL DataSource, got "${dataSource.options.type}"`);
  }
  return (dataSource.driver as PostgresDriver).master as Pool;
}

/** Providers of the options, the connection and the store; `dataSourceName` picks the host's DataSource. */
export function createJobsProviders(dataSourceName?: string): Provider[] {
  return [
    {
      provide: JOBS_RESOLVED_OPTIONS,
      inject: [JOBS_MODULE_OPTIONS],
      useFactory: (options: JobsModuleOptions) => resolveOptions(options),
    },
    {
      provide: JOBS_WORKER_ID,
      useFactory: () => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    },
    {
      provide: JOBS_DATA_SOURCE,
      inject: [JOBS_MODULE_OPTIONS, { token: getDataSourceToken(dataSourceName), optional: true }],
      useFactory: async (options: JobsModuleOptions, host?: DataSource): Promise<JobsDataSource> => {
        if (options.connection) {
          // A connection attempt to an unreachable host fails after 5 s instead of hanging (pg's default).
          const dataSource = new DataSource({
            connectTimeoutMS: 5_000,
            ...options.connection,
            type: 'postgres',
            entities: [],
            migrations: [],
          });
          await dataSource.initialize();
          return { dataSource, owned: true };
        }
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
      provide: JOBS_STORE,
      inject: [JOBS_RESOLVED_OPTIONS, JOBS_DATA_SOURCE],
      useFactory: async (options: ResolvedJobsOptions, ds: JobsDataSource) => {
        const pool = poolOf(ds.dataSource);
        try {
          if (options.migrationsRun) {
            const applied = await runMigrations(pool, options.schema);
            if (applied.length > 0)
              new Logger('Jobs').log(`Applied schema migrations ${applied.join(', ')} to "${options.schema}"`);
          }
          await assertSchemaVersion(pool, options.schema);
        } catch (err) {
          // A start that fails here runs no shutdown hook: close the connection this module opened.
          if (ds.owned) await ds.dataSource.destroy().catch(() => undefined);
          throw err;
        }
        return new JobsStore(pool, options.schema);
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
