import { SetMetadata } from '@nestjs/common';
import { JOB_HANDLER_METADATA } from '../jobs.constants';
import type { JobHandlerMetadata, JobHandlerOptions } from '../interfaces';

/**
 * Marks an injectable class as the handler of one job type. The class implements
 * `handle(job, ctx)`. Options set the type's default queue, attempts, backoff and timeout.
 */
export function JobHandler(type: string, options: JobHandlerOptions = {}): ClassDecorator {
  const metadata: JobHandlerMetadata = { ...options, type };
  return SetMetadata(JOB_HANDLER_METADATA, metadata);
}
