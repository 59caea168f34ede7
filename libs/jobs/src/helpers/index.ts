export { createBatchLoader, type BatchLoader, type BatchLoaderOptions, type BatchLoadFn } from './batch-loader';
export { TtlCache, type TtlCacheOptions } from './ttl-cache';
