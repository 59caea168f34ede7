export * from './jobs-api.module';
export * from './jobs-exception.filter';
export * from './jobs.controller';
export * from './access';
export * from './me.controller';
