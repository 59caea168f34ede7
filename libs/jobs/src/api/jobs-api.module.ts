import { Module } from '@nestjs/common';
import { JobsController } from './jobs.controller';

/** The REST API over `JobsService` (needs `JobsModule` registered with `isGlobal: true`, or imported
 * alongside). Mount it under a prefix with Nest's `RouterModule`. */
@Module({ controllers: [JobsController] })
export class JobsApiModule {}
