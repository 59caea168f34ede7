export {
  JobsHealthCheckError,
  JobsHealthIndicator,
  type JobsHealthCheckResult,
  type JobsHealthIndicatorResult,
} from './jobs-health.indicator';
export { JobsObservabilityModule } from './jobs-observability.module';
export { type JobsObservabilityOptions } from './jobs-prometheus';
export { type JobsCounters, type JobsStatsSnapshot } from './jobs-metrics';
