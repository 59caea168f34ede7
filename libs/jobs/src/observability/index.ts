export * from './jobs-health.indicator';
export * from './jobs-observability.controllers';
export * from './jobs-observability.module';
export * from './jobs-prometheus';
