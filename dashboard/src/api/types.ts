// Shapes of the admin REST API, as documented in docs/api.md (the contract this dashboard consumes).

export const JOB_STATES = ['pending', 'scheduled', 'running', 'completed', 'failed', 'canceled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobSummary {
  id: string;
  queue: string;
  type: string;
  state: JobState;
  priority: number;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  lastError: string | null;
  lockedBy: string | null;
  idempotencyKey: string | null;
  payloadPreview: string;
  /** `finishedAt - startedAt` of the last run; null unless finished and started. */
  durationMs?: number | null;
}

export interface JobPage {
  items: JobSummary[];
  nextCursor: string | null;
  /** On an empty page searched with `q`: what `q` was read as. */
  hint?: string | null;
}

export interface Attempt {
  attempt: number;
  replay: number;
  outcome: 'failed' | 'timed_out' | 'lost' | 'canceled';
  nodeId: string | null;
  startedAt: string | null;
  finishedAt: string;
  error: string;
  stack: string | null;
}

export interface TimelineEntry {
  at: string;
  event: string;
  detail?: unknown;
  actor?: string | null;
}

/** A payload over 256 KiB comes back as this unless asked for in full (`?full=1`). */
export interface TruncatedPayload {
  truncated: true;
  size: number;
  preview: string;
}

export interface JobDetail extends Omit<JobSummary, 'payloadPreview'> {
  payload: unknown;
  replays: number;
  lockedUntil: string | null;
  attemptHistory: Attempt[];
  timeline?: TimelineEntry[];
  /** The latest progress the handler reported for the current run (0-100), or null. */
  progress?: number | null;
}

export type StateCounts = Record<JobState, number>;

export interface QueueSummary {
  name: string;
  paused: boolean;
  concurrency: number;
  counts: StateCounts;
  countsAt: string;
  completedPerMinute: number;
  failedPerMinute: number;
  failureRate: number;
  oldestPendingAgeMs: number | null;
  pausedAt?: string | null;
  pausedBy?: string | null;
  /** Live nodes serving the queue (stopping ones left out). */
  nodes?: number;
  /** Each live node's slots for the queue. */
  concurrencyPerNode?: Record<string, number>;
  /** The concurrency set through the API, null when nodes use their configured value. */
  concurrencySetting?: number | null;
  /** No live node serves the queue (or their total is 0): its jobs wait. */
  noWorkers?: boolean;
  completedLast5Minutes?: number;
  failedLast5Minutes?: number;
}

export interface DeadLetterGroup {
  queue: string;
  type: string;
  /** The error signature: first line of lastError, trimmed, at most 200 characters ("" for none). */
  error: string;
  count: number;
  firstFailedAt: string;
  lastFailedAt: string;
  sampleId: string;
}

export interface DeadLetterGroups {
  items: DeadLetterGroup[];
  total: number;
  estimated: boolean;
  scanned: number;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string | null;
  action: string;
  target: string;
  detail: unknown;
}

export interface NodeSummary {
  id: string;
  hostname: string;
  pid: number;
  startedAt: string;
  lastSeen: string;
  queues: Record<string, number>;
  running: number;
  stopping: boolean;
  jobs: Array<{ id: string; type: string; queue: string; startedAt: string }>;
}

export interface SeriesPoint {
  at: string;
  completed: number;
  failed: number;
  retried: number;
}

export interface Access {
  read: boolean;
  replay: boolean;
  cancel: boolean;
  pause: boolean;
  delete: boolean;
  enqueue: boolean;
  schedule: boolean;
}

/** Filters of `GET /api/jobs`, also the body's `filter` of the bulk actions. */
export interface ListFilter {
  queue?: string;
  state?: string;
  type?: string;
  q?: string;
  from?: string;
  to?: string;
  error?: string;
  errorGroup?: string;
  retrying?: string;
}

export type SortKey = 'id' | 'runAt' | 'finishedAt';

/** A list request: its filter, and the order (not part of bulk filters). */
export interface ListRequest extends ListFilter {
  sort?: SortKey;
  order?: 'asc' | 'desc';
}

export interface JobChange {
  id: string;
  state: JobState;
  queue: string;
  type: string;
}
