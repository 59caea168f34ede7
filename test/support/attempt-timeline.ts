import type { ExecutionEvent } from './cluster';

/** One handler run, from its execution log's start and end lines. */
export interface Run {
  jobId: string;
  attempt: number;
  pid: number;
  start: number;
  /** Infinity while the handler has not ended. */
  end: number;
  ok: boolean | undefined;
}

/** A process stopped (SIGSTOP) from `from` to `to`: none of its code ran meanwhile. */
export interface Pause {
  pid: number;
  from: number;
  to: number;
}

/** Pairs the execution log's start and end lines into runs (same job, attempt and process). */
export function runsOf(events: ExecutionEvent[]): Run[] {
  const open = new Map<string, Run>();
  const runs: Run[] = [];
  for (const e of events) {
    const key = `${e.jobId}:${e.attempt}:${e.pid}`;
    if (e.kind === 'start') {
      const run: Run = { jobId: e.jobId, attempt: e.attempt, pid: e.pid, start: e.at, end: Infinity, ok: undefined };
      open.set(key, run);
      runs.push(run);
    } else {
      const run = open.get(key);
      if (!run) continue;
      run.end = e.at;
      run.ok = e.ok;
      open.delete(key);
    }
  }
  return runs;
}

/**
 * Pairs of runs of one job that overlapped in time: two handlers of the job running at once. A run
 * that spans a pause of its process and ended aborted (not ok) after it ran only until the pause: a
 * stopped process runs nothing, and on resume its handler was aborted before doing more.
 */
export function overlaps(runs: Run[], pauses: Pause[] = []): string[] {
  const clipped = runs.map((r) => {
    const pause = pauses.find((p) => p.pid === r.pid && r.start < p.from && r.end >= p.to);
    return pause && r.ok === false ? { ...r, end: pause.from } : r;
  });
  const found: string[] = [];
  const byJob = new Map<string, Run[]>();
  for (const r of clipped) byJob.set(r.jobId, [...(byJob.get(r.jobId) ?? []), r]);
  for (const [jobId, list] of byJob) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++) {
      const before = list[i - 1];
      if (list[i].start < before.end) {
        found.push(
          `job ${jobId}: attempt ${before.attempt} (pid ${before.pid}, ${before.start}-${before.end}) and attempt ` +
            `${list[i].attempt} (pid ${list[i].pid}, from ${list[i].start})`,
        );
      }
    }
  }
  return found;
}

/** Runs started after a later attempt of their job had started: a stale attempt brought back to life. */
export function staleStarts(runs: Run[]): string[] {
  const found: string[] = [];
  const byJob = new Map<string, Run[]>();
  for (const r of runs) byJob.set(r.jobId, [...(byJob.get(r.jobId) ?? []), r]);
  for (const [jobId, list] of byJob) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++) {
      if (list[i].attempt <= list[i - 1].attempt)
        found.push(`job ${jobId}: attempt ${list[i].attempt} started after attempt ${list[i - 1].attempt}`);
    }
  }
  return found;
}
