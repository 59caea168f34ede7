import { Module, type DynamicModule } from '@nestjs/common';
import { JOBS_API_OPTIONS, JobsAccessGuard, type JobsApiOptions } from './access';
import { EventsController } from './events.controller';
import { JobsEventsHub } from './jobs-events.hub';
import { JobsController } from './jobs.controller';
import { MeController } from './me.controller';
import { QueuesController } from './queues.controller';
import { StatsController } from './stats.controller';
import { WorkersController } from './workers.controller';

const CONTROLLERS = [
  JobsController,
  MeController,
  QueuesController,
  WorkersController,
  StatsController,
  EventsController,
];

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
      controllers: CONTROLLERS,
      providers: [{ provide: JOBS_API_OPTIONS, useValue: options }, JobsAccessGuard, JobsEventsHub],
      exports: [JOBS_API_OPTIONS],
    };
  }
}
