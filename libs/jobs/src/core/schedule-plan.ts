import type { MissedTicksPolicy, OverlapPolicy, ScheduleRunOutcome } from '../interfaces';
import type { Cadence } from './schedule-cadence';

/** Ticks walked one by one before the walk jumps close to now (a long outage of a busy cadence). */
const MAX_WALK = 10_000;

/** A claimed schedule, as the planner needs it. */
export interface DueSchedule {
  cadence: Cadence;
  nextRunAt: Date;
  missed: MissedTicksPolicy;
  maxCatchUp: number;
  overlap: OverlapPolicy;
  jitterMs: number;
  /** Its previous job exists and is pending, scheduled or running. */
  previousBusy: boolean;
  /** A tick waiting for the previous job to finish (`overlap: 'queue'`). */
  queuedOccurrence: Date | null;
}

export interface PlannedRun {
  occurrence: Date;
  outcome: ScheduleRunOutcome;
  /** When its job may run (the tick plus jitter); null: no job (skipped, queued). */
  runAt: Date | null;
}

export interface TickPlan {
  /** New history rows, oldest tick first. */
  runs: PlannedRun[];
  /** The waiting tick whose job is enqueued now (its history row exists already). */
  release: { occurrence: Date; runAt: Date } | null;
  /** Cancel the previous job before enqueueing (`overlap: 'replace'`). */
  cancelPrevious: boolean;
  nextRunAt: Date;
  queuedOccurrence: Date | null;
  /** Ticks the missed policy dropped (a lower bound after a very long outage). */
  missed: number;
}

/** The due ticks of a schedule up to `now`: how many, the newest `keep` of them, and the tick after. */
export function dueTicks(
  cadence: Cadence,
  from: Date,
  now: Date,
  keep: number,
): { count: number; newest: Date[]; next: Date } {
  const newest: Date[] = [];
  let count = 0;
  let t = from;
  while (t <= now && count < MAX_WALK) {
    newest.push(t);
    if (newest.length > keep) newest.shift();
    count += 1;
    t = cadence.next(t);
  }
  if (t > now) return { count, newest, next: t };
  // More than MAX_WALK ticks are due: find the newest ones from a start close to now, widening
  // the window until it holds enough of them (or reaches back to where the first walk stopped).
  for (let span = 1_000; ; span *= 2) {
    const start = new Date(Math.max(t.getTime() - 1, now.getTime() - span));
    const recent: Date[] = [];
    let u = cadence.next(start);
    while (u <= now) {
      recent.push(u);
      if (recent.length > keep) recent.shift();
      u = cadence.next(u);
    }
    if (recent.length >= keep || start.getTime() < t.getTime()) {
      return { count: count + recent.length, newest: recent, next: u };
    }
  }
}

/**
 * What a node that claimed a due schedule does, decided without I/O: which ticks run (the missed
 * policy), what each does while the previous job is unfinished (the overlap policy), their jitter,
 * and the next tick. `random` returns [0, 1).
 */
export function planTicks(s: DueSchedule, now: Date, random: () => number = Math.random): TickPlan {
  const keep = s.missed === 'all' ? s.maxCatchUp + 1 : 2;
  const { count, newest, next } = dueTicks(s.cadence, s.nextRunAt, now, keep);
  const jitter = (at: Date) => new Date(at.getTime() + Math.floor(random() * (s.jitterMs + 1)));
  const fires: Array<{ occurrence: Date; outcome: ScheduleRunOutcome }> = [];
  let missed = 0;
  if (count > 0) {
    const current = newest[newest.length - 1];
    const late = newest.slice(0, -1);
    const missedTotal = count - 1;
    const caughtUp = s.missed === 'skip' ? [] : s.missed === 'once' ? late.slice(-1) : late.slice(-s.maxCatchUp);
    missed = missedTotal - caughtUp.length;
    for (const occurrence of caughtUp) fires.push({ occurrence, outcome: 'catch_up' });
    fires.push({ occurrence: current, outcome: 'enqueued' });
  }

  let busy = s.previousBusy;
  let queued = s.queuedOccurrence;
  let release: TickPlan['release'] = null;
  if (queued && !busy) {
    release = { occurrence: queued, runAt: jitter(now) };
    queued = null;
    busy = true;
  }
  const runs: PlannedRun[] = [];
  let cancelPrevious = false;
  fires.forEach((fire, i) => {
    const enqueue = () => {
      runs.push({ ...fire, runAt: jitter(fire.occurrence) });
      busy = true;
    };
    if (!busy || s.overlap === 'allow') return enqueue();
    if (s.overlap === 'skip') return void runs.push({ ...fire, outcome: 'skipped', runAt: null });
    if (s.overlap === 'queue') {
      if (queued) return void runs.push({ ...fire, outcome: 'skipped', runAt: null });
      queued = fire.occurrence;
      return void runs.push({ ...fire, outcome: 'queued', runAt: null });
    }
    // replace: only the newest tick of this claim runs; the previous job is canceled first.
    if (i < fires.length - 1) return void runs.push({ ...fire, outcome: 'skipped', runAt: null });
    if (s.previousBusy && !release) cancelPrevious = true;
    for (const r of runs) {
      if (r.runAt === null) continue;
      r.outcome = 'skipped';
      r.runAt = null;
    }
    enqueue();
  });
  return { runs, release, cancelPrevious, nextRunAt: next, queuedOccurrence: queued, missed };
}
