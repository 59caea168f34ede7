import { SetMetadata } from '@nestjs/common';
import { JOB_HANDLER_METADATA } from '../jobs.constants';
import type { JobHandlerDecorator, JobHandlerMetadata, JobHandlerOptions, JobType } from '../interfaces';

/**
 * Marks an injectable class as the handler of one job type. The class implements
 * `handle(job, ctx)`. Options set the type's default queue, attempts, backoff and timeout. With job
 * types declared in `JobTypes`, `type` must be one of them and `handle` must take its payload.
 */
export function JobHandler<K extends JobType>(type: K, options: JobHandlerOptions = {}): JobHandlerDecorator<K> {
  const metadata: JobHandlerMetadata = { ...options, type };
  return SetMetadata(JOB_HANDLER_METADATA, metadata) as JobHandlerDecorator<K>;
}
