import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { JOBS_API_OPTIONS } from '../api/access';
import { apiControllersAt, JOBS_API_PROVIDERS } from '../api/api-controllers';
import { DashboardFiles } from './dashboard-files';
import { dashboardControllerAt } from './dashboard.controller';
import type { JobsDashboardAsyncOptions, JobsDashboardOptions } from './dashboard.options';

/**
 * The admin dashboard inside the host application, under one path: the prebuilt page and its files,
 * the admin REST API (`<path>/api/…`) and its change feed (`<path>/api/changes`), all as controllers
 * of this module (needs `JobsModule` with `isGlobal: true`). The module's `guards` and the host's
 * global guards, interceptors and filters apply to all of them; nothing else of the host is touched.
 * The same build works at any path, under a global prefix, in a `RouterModule` tree and behind a
 * proxy that strips a prefix (`X-Forwarded-Prefix`), on Express and Fastify.
 */
/** Where the dashboard lives when no path is given. */
const DEFAULT_PATH = 'jobs';

@Module({})
export class JobsDashboardModule {
  static forRoot(options: JobsDashboardOptions = {}): DynamicModule {
    const { path = DEFAULT_PATH, ...settings } = options;
    return JobsDashboardModule.mount(path, { provide: JOBS_API_OPTIONS, useValue: settings }, []);
  }

  static forRootAsync(options: JobsDashboardAsyncOptions): DynamicModule {
    const provider: Provider = {
      provide: JOBS_API_OPTIONS,
      inject: options.inject ?? [],
      useFactory: options.useFactory,
    };
    return JobsDashboardModule.mount(options.path ?? DEFAULT_PATH, provider, options.imports ?? []);
  }

  private static mount(path: string, settings: Provider, imports: DynamicModule['imports']): DynamicModule {
    const base = path.replace(/^\/+|\/+$/g, '');
    return {
      module: JobsDashboardModule,
      imports,
      controllers: [...apiControllersAt(base === '' ? 'api' : `${base}/api`), dashboardControllerAt(base)],
      providers: [settings, ...JOBS_API_PROVIDERS, DashboardFiles],
    };
  }
}
