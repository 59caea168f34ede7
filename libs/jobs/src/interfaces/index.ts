export * from './job.interface';
export * from './job-handler.interface';
export * from './payload-validator.interface';
export * from './job-types.interface';
export * from './jobs-module-options.interface';
export * from './job-admin.interface';
export * from './internal.interface';
export * from './schedule.interface';
