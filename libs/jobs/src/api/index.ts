export * from './jobs-api.module';
export * from './jobs-exception.filter';
export * from './jobs.controller';
