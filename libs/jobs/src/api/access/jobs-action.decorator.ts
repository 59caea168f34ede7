import { SetMetadata } from '@nestjs/common';
import type { JobsAction } from './access.interface';

export const JOBS_ACTION_METADATA = 'jobs:api_action';

/** Marks a route as a write of the given kind: the access guard checks the caller's rights and the
 * CSRF header before it runs. */
export const RequiresJobsAction = (action: JobsAction) => SetMetadata(JOBS_ACTION_METADATA, action);
