export { JobsApiModule } from './jobs-api.module';
export { JOBS_ACTIONS, type JobsAccess, type JobsAction, type JobsApiOptions } from './access';
export type { JobChange } from './change-feed.hub';
export { JobsRequestErrorFilter } from './request-error.filter';
