export * from './access.interface';
export * from './jobs-access.guard';
export * from './jobs-action.decorator';
