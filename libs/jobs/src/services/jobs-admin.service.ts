import { Inject, Injectable } from '@nestjs/common';
import { parseListFilter, parseListQuery } from '../core/list-query';
import { encodeCursor, searchHint } from '../core/list-sort';
import { isJobId } from '../core/storable';
import { buildTimeline } from '../core/timeline';
import { InvalidJobOptionsError } from '../errors';
import type {
  JobBulkSelection,
  JobDetail,
  JobListPage,
  JobListQuery,
  JobState,
  JobSummary,
  ParsedListFilter,
  TruncatedPayload,
} from '../interfaces';
import type { NodeSummary } from '../interfaces/admin-views.interface';
import { JOBS_STORAGE, TERMINAL_STATES } from '../jobs.constants';
import type { SummaryRow } from '../storage/admin.repository';
import { toAttempt, toJob } from '../storage/job-row';
import type { JobsStorage } from '../storage/jobs-storage';

/** Payloads larger than this (bytes of JSON) are replaced by a preview in the detail unless `full`. */
export const DETAIL_PAYLOAD_LIMIT = 256 * 1024;
const DETAIL_PREVIEW_CHARS = 4_096;
/** Most ids one bulk request may name. */
export const MAX_BULK_IDS = 10_000;

const REPLAYABLE: readonly JobState[] = ['failed', 'canceled'];
const CANCELABLE: readonly JobState[] = ['pending', 'scheduled', 'running'];
const DELETABLE: readonly JobState[] = TERMINAL_STATES;

export type { NodeSummary } from '../interfaces/admin-views.interface';

/**
 * What operators need beyond the producer API: the filtered job list (keyset pages, newest first),
 * the job detail with its timeline, bulk replay / cancel in bounded batches, and the live nodes.
 */
@Injectable()
export class JobsAdminService {
  constructor(@Inject(JOBS_STORAGE) private readonly storage: JobsStorage) {}

  /** One page of jobs matching the filters, newest first. Throws `InvalidJobOptionsError` (with the
   * field) for a bad filter, limit or cursor. */
  async list(query: JobListQuery = {}): Promise<JobListPage> {
    const parsed = parseListQuery(query);
    const { rows } = await this.storage.admin.page(parsed);
    const items = rows.slice(0, parsed.limit);
    const more = rows.length > parsed.limit;
    return {
      items: items.map(toSummary),
      nextCursor: more ? encodeCursor(parsed.sort, items[items.length - 1]) : null,
      hint: items.length === 0 && parsed.before === undefined && !parsed.sort?.after ? searchHint(parsed.search) : null,
    };
  }

  /** How PostgreSQL ran `list(query)` (`EXPLAIN (ANALYZE, BUFFERS)` of the statement that answered
   * it), for diagnostics of slow lists. */
  async explainList(query: JobListQuery = {}): Promise<string> {
    return this.storage.admin.explain(parseListQuery(query));
  }

  /** The job with its attempts and timeline, or null. A payload over 256 KiB of JSON is replaced
   * by `{ truncated: true, size, preview }` unless `full`. */
  async detail(id: string, options: { full?: boolean } = {}): Promise<JobDetail | null> {
    if (!isJobId(String(id))) return null;
    const found = await this.storage.admin.detail(String(id), {
      full: options.full === true,
      limit: DETAIL_PAYLOAD_LIMIT,
      previewChars: DETAIL_PREVIEW_CHARS,
    });
    if (!found) return null;
    const { row, attempts, events } = found;
    const job = toJob(row);
    const attemptHistory = attempts.map(toAttempt);
    const payload: unknown =
      row.payload_preview === null
        ? row.payload
        : ({ truncated: true, size: row.payload_size, preview: row.payload_preview } satisfies TruncatedPayload);
    // Progress reports feed the progress bar, not the timeline (a handler may send many).
    const progressEvents = events.filter((e) => e.kind === 'progress');
    const latest = progressEvents[progressEvents.length - 1];
    const current = latest && job.startedAt && latest.at >= job.startedAt ? latest : undefined;
    const progress = typeof current?.detail?.value === 'number' ? current.detail.value : null;
    const timeline = buildTimeline(
      job,
      attemptHistory,
      events.filter((e) => e.kind !== 'progress'),
    );
    return { ...job, payload, attemptHistory, timeline, progress };
  }

  /** Replays the `failed` and `canceled` jobs among the selection (ids, or every job matching a
   * filter), in batches of 1,000; each replay is recorded with `actor`. */
  async replayMany(selection: JobBulkSelection, options: { actor?: string } = {}): Promise<{ affected: number }> {
    return this.bulk('replay', selection, REPLAYABLE, options.actor ?? null);
  }

  /** Cancels the `pending`, `scheduled` and `running` jobs among the selection, in batches of
   * 1,000; running handlers are aborted; each cancel is recorded with `actor`. */
  async cancelMany(selection: JobBulkSelection, options: { actor?: string } = {}): Promise<{ affected: number }> {
    return this.bulk('cancel', selection, CANCELABLE, options.actor ?? null);
  }

  /** Deletes the finished (`completed`, `failed`, `canceled`) jobs among the selection with their
   * history, in batches of 1,000; each batch is recorded in the audit log with `actor`. */
  async deleteMany(selection: JobBulkSelection, options: { actor?: string } = {}): Promise<{ affected: number }> {
    return this.bulk('delete', selection, DELETABLE, options.actor ?? null);
  }

  /** Live nodes with the jobs each is running. */
  async nodes(): Promise<NodeSummary[]> {
    const [nodes, running] = await Promise.all([this.storage.nodes.list(), this.storage.nodes.runningJobs()]);
    const jobsOf = new Map<string, NodeSummary['jobs']>();
    for (const j of running) {
      const list = jobsOf.get(j.locked_by) ?? [];
      list.push({ id: j.id, type: j.type, queue: j.queue, startedAt: j.started_at?.toISOString() ?? null });
      jobsOf.set(j.locked_by, list);
    }
    return nodes.map((n) => ({
      id: n.id,
      hostname: n.hostname,
      pid: n.pid,
      startedAt: n.started_at.toISOString(),
      lastSeen: n.last_seen.toISOString(),
      queues: n.queues ?? {},
      running: n.running,
      stopping: n.stopping,
      jobs: jobsOf.get(n.id) ?? [],
    }));
  }

  /** Bulk replay or cancel of the jobs among the selection that are in one of `allowed` states. */
  private async bulk(
    action: 'replay' | 'cancel' | 'delete',
    selection: JobBulkSelection,
    allowed: readonly JobState[],
    actor: string | null,
  ): Promise<{ affected: number }> {
    const parsed = parseSelection(selection);
    const states = parsed.filter?.states ? allowed.filter((s) => parsed.filter?.states?.includes(s)) : allowed;
    if (states.length === 0) return { affected: 0 };
    return { affected: await this.storage.admin.bulk(action, parsed, states, actor) };
  }
}

function parseSelection(selection: unknown): { ids?: string[]; filter?: ParsedListFilter } {
  if (typeof selection !== 'object' || selection === null || Array.isArray(selection)) {
    throw new InvalidJobOptionsError('body', 'must be an object with ids or filter');
  }
  const { ids, filter, ...rest } = selection as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) throw new InvalidJobOptionsError(unknownKey, 'is not a known field (ids, filter)');
  if ((ids === undefined) === (filter === undefined)) {
    throw new InvalidJobOptionsError('ids', 'give exactly one of ids or filter');
  }
  if (filter !== undefined) {
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
      throw new InvalidJobOptionsError('filter', 'must be an object of list filters');
    }
    return { filter: parseListFilter(filter) };
  }
  if (!Array.isArray(ids)) throw new InvalidJobOptionsError('ids', 'must be an array of job ids');
  if (ids.length > MAX_BULK_IDS) {
    throw new InvalidJobOptionsError('ids', `at most ${MAX_BULK_IDS} per request, got ${ids.length}`);
  }
  ids.forEach((id, i) => {
    if (typeof id !== 'string' || !isJobId(id)) throw new InvalidJobOptionsError(`ids[${i}]`, 'must be a job id');
  });
  return { ids: [...new Set(ids as string[])] };
}

function toSummary(row: SummaryRow): JobSummary {
  const { payload_preview: payloadPreview, sort_key: _sortKey, ...columns } = row;
  const {
    payload: _payload,
    lockedUntil: _lockedUntil,
    replays: _replays,
    ...job
  } = toJob({
    ...columns,
    payload: null,
    locked_until: null,
    replays: 0,
  });
  const durationMs = job.startedAt && job.finishedAt ? job.finishedAt.getTime() - job.startedAt.getTime() : null;
  return { ...job, payloadPreview, durationMs };
}
