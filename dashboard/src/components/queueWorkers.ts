import type { NodeSummary, QueueSummary } from '../api/types';

export interface QueueWorkers {
  /** Live nodes with slots for the queue. */
  nodes: number;
  /** Slots over all those nodes. */
  total: number;
  /** "2 nodes × 10", "1 node × 4", "3 nodes: 10 + 10 + 5 = 25", "no workers". */
  label: string;
}

/**
 * Who serves a queue, from the live nodes' registered slots (`GET /api/nodes`); the queue summary's
 * `nodeCount`, when the API sends it, wins over a node list not loaded yet.
 */
export function queueWorkers(queue: QueueSummary, nodes: NodeSummary[] | undefined): QueueWorkers {
  const slots = (nodes ?? []).map((node) => node.queues[queue.name] ?? 0).filter((n) => n > 0);
  const count = nodes ? slots.length : (queue.nodeCount ?? (queue.concurrency > 0 ? 1 : 0));
  const total = nodes ? slots.reduce((sum, n) => sum + n, 0) : queue.concurrency;
  if (count === 0 || total === 0) return { nodes: 0, total: 0, label: 'no workers' };
  const noun = count === 1 ? 'node' : 'nodes';
  if (!nodes || slots.every((n) => n === slots[0])) {
    const each = nodes ? slots[0] : Math.round(total / count);
    return { nodes: count, total, label: `${count} ${noun} × ${each}${count > 1 ? ` = ${total}` : ''}` };
  }
  return { nodes: count, total, label: `${count} ${noun}: ${slots.join(' + ')} = ${total}` };
}

/** True when no live node serves the queue (jobs posted to it wait until one does). */
export function hasNoWorkers(queue: QueueSummary, nodes: NodeSummary[] | undefined): boolean {
  if (queue.noWorkers !== undefined && !nodes) return queue.noWorkers;
  return queueWorkers(queue, nodes).nodes === 0;
}
