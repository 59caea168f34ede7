import type { NodeSummary, QueueSummary } from '../api/types';
import { formatCount, formatDuration, formatPercent } from '../format';
import { hasNoWorkers } from './queueWorkers';

export interface Problem {
  key: string;
  queue: string;
  severity: 'bad' | 'warn';
  kind: 'no-workers' | 'failing' | 'stuck' | 'paused';
  text: string;
  /** Where the reader goes to act on it, and the link's words. */
  to: string;
  action: string;
}

/** A job waiting longer than this since its run time is a problem. */
export const OLDEST_PENDING_LIMIT_MS = 5 * 60_000;
/** A failure rate (dead letters over outcomes, last 5 min) from which a queue is failing. */
export const FAILURE_RATE_LIMIT = 0.05;

/** Worst first: jobs that cannot run at all, then jobs failing, then falling behind, then paused on purpose. */
const RANK: Record<Problem['kind'], number> = { 'no-workers': 0, failing: 1, stuck: 2, paused: 3 };

const q = (name: string) => encodeURIComponent(name);

/**
 * What needs an operator, worst first: queues nobody serves, failing (or failing more than in the
 * half hour before: `rising`), stuck, paused.
 */
export function findProblems(
  queues: QueueSummary[],
  nodes: NodeSummary[] | undefined,
  rising: ReadonlySet<string> = new Set(),
): Problem[] {
  const out: Problem[] = [];
  for (const queue of queues) {
    const waiting = queue.counts.pending + queue.counts.scheduled;
    if (hasNoWorkers(queue, nodes) && (waiting > 0 || queue.counts.running > 0)) {
      out.push({
        key: `${queue.name}:no-workers`,
        queue: queue.name,
        severity: 'bad',
        kind: 'no-workers',
        text: `No workers: no live node serves it; ${formatCount(waiting)} job${waiting === 1 ? '' : 's'} wait`,
        to: `/queues`,
        action: 'Queues',
      });
    }
    if (queue.failedPerMinute > 0 && (queue.failureRate >= FAILURE_RATE_LIMIT || rising.has(queue.name))) {
      out.push({
        key: `${queue.name}:failing`,
        queue: queue.name,
        severity: 'bad',
        kind: 'failing',
        text: `${rising.has(queue.name) ? 'Failures rising' : 'Failing'}: ${queue.failedPerMinute.toFixed(1)} dead letters/min, ${formatPercent(queue.failureRate)} of outcomes (last 5 min)`,
        to: `/dead-letters?queue=${q(queue.name)}`,
        action: 'Dead letters',
      });
    }
    if (!queue.paused && (queue.oldestPendingAgeMs ?? 0) > OLDEST_PENDING_LIMIT_MS) {
      out.push({
        key: `${queue.name}:stuck`,
        queue: queue.name,
        severity: 'warn',
        kind: 'stuck',
        text: `Falling behind: the oldest pending job has waited ${formatDuration(queue.oldestPendingAgeMs)}`,
        to: `/jobs?queue=${q(queue.name)}&state=pending`,
        action: 'Pending jobs',
      });
    }
    if (queue.paused) {
      out.push({
        key: `${queue.name}:paused`,
        queue: queue.name,
        severity: 'warn',
        kind: 'paused',
        text: `Paused${queue.pausedBy ? ` by ${queue.pausedBy}` : ''}: ${formatCount(waiting)} job${waiting === 1 ? '' : 's'} wait`,
        to: `/queues`,
        action: 'Resume on Queues',
      });
    }
  }
  return out.sort((a, b) => RANK[a.kind] - RANK[b.kind]);
}
