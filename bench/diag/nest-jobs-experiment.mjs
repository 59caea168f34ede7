// The traced adapter with the QueueWorker experiments of experiments.mjs applied
// (NESTJOBS_EXPERIMENT=coalesce | prefetch | coalesce,prefetch; NESTJOBS_PREFETCH=500).
import './experiments.mjs';
export * from './nest-jobs-traced.mjs';
