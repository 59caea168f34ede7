import { Module, type DynamicModule } from '@nestjs/common';
import { JOBS_API_OPTIONS, JobsAccessGuard, type JobsApiOptions } from './access';
import { ChangeFeedHub } from './change-feed.hub';
import { ChangesController } from './changes.controller';
import { JobsController } from './jobs.controller';
import { MeController } from './me.controller';
import { QueuesController } from './queues.controller';
import { SchedulesController } from './schedules.controller';
import { StatsController } from './stats.controller';
import { NodesController } from './nodes.controller';
import { OperatorsController } from './operators.controller';
import { JobsJsonBodyGuard } from './json-body.guard';
import { JobsWriteLimiter } from './write-limiter';

const CONTROLLERS = [
  JobsController,
  MeController,
  QueuesController,
  NodesController,
  StatsController,
  ChangesController,
  SchedulesController,
  OperatorsController,
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
      providers: [
        { provide: JOBS_API_OPTIONS, useValue: options },
        JobsAccessGuard,
        JobsJsonBodyGuard,
        JobsWriteLimiter,
        ChangeFeedHub,
      ],
      exports: [JOBS_API_OPTIONS],
    };
  }
}
