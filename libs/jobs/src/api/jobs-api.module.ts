import { Module, type DynamicModule } from '@nestjs/common';
import { JOBS_API_OPTIONS, type JobsApiOptions } from './access';
import { JOBS_API_CONTROLLERS, JOBS_API_PROVIDERS } from './api-controllers';

/**
 * The admin REST API over `JobsService` (needs `JobsModule` registered with `isGlobal: true`).
 * Mount it under a prefix with Nest's `RouterModule` (`apps/server` uses `/api`). `forRoot()` takes
 * the host's guards and an access resolver (`full`, `read-only`, or per action). Every controller
 * of the API uses `JobsAccessGuard` itself, so the host's other routes are never touched.
 */
@Module({})
export class JobsApiModule {
  static forRoot(options: JobsApiOptions = {}): DynamicModule {
    return {
      module: JobsApiModule,
      controllers: JOBS_API_CONTROLLERS,
      providers: [{ provide: JOBS_API_OPTIONS, useValue: options }, ...JOBS_API_PROVIDERS],
      exports: [JOBS_API_OPTIONS],
    };
  }
}
