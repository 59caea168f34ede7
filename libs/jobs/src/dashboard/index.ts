export { JobsDashboardModule } from './jobs-dashboard.module';
export type { JobsDashboardAsyncOptions, JobsDashboardOptions, JobsDashboardSettings } from './dashboard.options';
