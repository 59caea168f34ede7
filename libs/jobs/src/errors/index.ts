export * from './jobs.errors';
