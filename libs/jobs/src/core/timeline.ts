import type { Job, JobAttempt, JobEventRecord, TimelineEntry } from '../interfaces';

/**
 * A job's life, oldest first, from what the database keeps: the job's own times (enqueued, the
 * current attempt's start and end), one row per failed, timed-out, lost or canceled attempt, and the
 * operator actions in `job_events`. Attempts of earlier lives (before a replay) come from the
 * history; successful attempts are only ever the current one.
 */
export function buildTimeline(
  job: Omit<Job, 'payload'>,
  attempts: JobAttempt[],
  events: JobEventRecord[],
): TimelineEntry[] {
  const entries: Array<TimelineEntry & { order: number }> = [];
  let order = 0;
  const push = (entry: TimelineEntry) => entries.push({ ...entry, order: order++ });

  // A replay or a run-now moves runAt; the enqueued entry keeps the run time from before the first.
  const moved = events.find((e) => (e.kind === 'replayed' || e.kind === 'run_now') && e.detail?.previousRunAt);
  const firstRunAt = moved ? new Date(String(moved.detail!.previousRunAt)) : job.runAt;
  push({ at: job.createdAt, event: 'enqueued', detail: { queue: job.queue, runAt: firstRunAt } });
  const lastOfLife = new Map<number, number>(); // replay -> highest attempt seen in the history
  for (const a of attempts) lastOfLife.set(a.replay, Math.max(lastOfLife.get(a.replay) ?? 0, a.attempt));

  for (const a of attempts) {
    const where = { attempt: a.attempt, replay: a.replay, nodeId: a.nodeId };
    if (a.startedAt) push({ at: a.startedAt, event: 'started', detail: where });
    if (a.outcome === 'canceled') continue; // the cancel itself is a job_events row, with its actor
    const failure = { ...where, outcome: a.outcome, error: a.error };
    push({ at: a.finishedAt, event: a.outcome === 'lost' ? 'lost' : 'failed', detail: failure });
    // A later attempt of the same life means this failure was retried (a lost job goes straight
    // back to pending, so only failures and timeouts wait out a backoff).
    const current = a.replay === job.replays;
    const retried =
      a.attempt < (lastOfLife.get(a.replay) ?? 0) || (current && a.attempt < job.attempts) || isWaitingRetry(job, a);
    if (a.outcome !== 'lost' && retried) {
      const runAt = isWaitingRetry(job, a) ? { runAt: job.runAt } : {};
      push({ at: a.finishedAt, event: 'retry_scheduled', detail: { attempt: a.attempt, replay: a.replay, ...runAt } });
    }
  }

  // The current attempt, when it is not in the history (running, or it succeeded).
  const recorded = attempts.some((a) => a.replay === job.replays && a.attempt === job.attempts);
  if (job.attempts > 0 && job.startedAt && !recorded) {
    push({ at: job.startedAt, event: 'started', detail: { attempt: job.attempts, replay: job.replays } });
  }
  if (job.state === 'completed' && job.finishedAt) {
    push({ at: job.finishedAt, event: 'completed', detail: { attempt: job.attempts, replay: job.replays } });
  }

  for (const e of events) {
    push({ at: e.at, event: e.kind, ...(e.detail ? { detail: e.detail } : {}), actor: e.actor });
  }
  entries.sort((x, y) => +x.at - +y.at || x.order - y.order);
  return entries.map(({ order: _order, ...entry }) => entry);
}

/** The job is `scheduled` for a retry after this attempt (its latest). */
function isWaitingRetry(job: Omit<Job, 'payload'>, a: JobAttempt): boolean {
  return job.state === 'scheduled' && a.replay === job.replays && a.attempt === job.attempts;
}
