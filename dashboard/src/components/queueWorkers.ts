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
 * Who serves a queue: the API's `concurrencyPerNode`, else the live nodes' registered slots
 * (`GET /api/nodes`), else the summary's total.
 */
export function queueWorkers(queue: QueueSummary, nodes: NodeSummary[] | undefined): QueueWorkers {
  const perNode = queue.concurrencyPerNode
    ? Object.values(queue.concurrencyPerNode)
    : nodes?.filter((node) => !node.stopping).map((node) => node.queues[queue.name] ?? 0);
  if (!perNode) {
    // Neither the API's per-node slots nor the node list yet: the total alone.
    const count = queue.nodes ?? (queue.concurrency > 0 ? 1 : 0);
    if (count === 0 || queue.concurrency === 0) return { nodes: 0, total: 0, label: 'no workers' };
    return { nodes: count, total: queue.concurrency, label: `${queue.concurrency} over ${count} node(s)` };
  }
  const slots = perNode.filter((n) => n > 0);
  const count = slots.length;
  const total = slots.reduce((sum, n) => sum + n, 0);
  if (count === 0 || total === 0) return { nodes: 0, total: 0, label: 'no workers' };
  const noun = count === 1 ? 'node' : 'nodes';
  if (slots.every((n) => n === slots[0])) {
    return { nodes: count, total, label: `${count} ${noun} × ${slots[0]}${count > 1 ? ` = ${total}` : ''}` };
  }
  return { nodes: count, total, label: `${count} ${noun}: ${slots.join(' + ')} = ${total}` };
}

/** True when no live node serves the queue (jobs posted to it wait until one does). */
export function hasNoWorkers(queue: QueueSummary, nodes: NodeSummary[] | undefined): boolean {
  return queue.noWorkers ?? queueWorkers(queue, nodes).nodes === 0;
}
