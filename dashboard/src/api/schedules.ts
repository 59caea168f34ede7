// Recurring jobs: the shapes of /api/schedules (the library's types), their queries and their writes.
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { usePollInterval } from '../live/LiveContext';
import { getJson, sendJson, toQuery } from './client';
import type * as Lib from '@jobs/interfaces';

export type MissedPolicy = Lib.MissedTicksPolicy;
export type OverlapPolicy = Lib.OverlapPolicy;
export type RunOutcome = Lib.ScheduleRunOutcome;
export type Schedule = Lib.RestAnswer<'GET /schedules/:name'>;
export type ScheduleRun = Lib.Wire<Lib.ScheduleRun>;

/** The fields a schedule's edit form may change. */
export type ScheduleChanges = Partial<
  Pick<Schedule, 'cron' | 'timeZone' | 'intervalMs' | 'payload' | 'missed' | 'maxCatchUp' | 'overlap' | 'jitterMs'>
>;

/** Missed ticks within a day are worth a warning. */
const RECENT_MS = 24 * 60 * 60_000;

/** What an operator should look at: ticks missed lately, failing runs, a schedule gone from code. */
export function scheduleWarnings(s: Schedule, now = Date.now()): string[] {
  const warnings: string[] = [];
  if (s.lastMissedAt && now - new Date(s.lastMissedAt).getTime() < RECENT_MS) {
    warnings.push(
      `Missed ticks: ${s.missedTicks.toLocaleString()} in total, the last ones while no node could fire them`,
    );
  }
  if (s.recentFailures > 0) warnings.push(`${s.recentFailures} of its last 5 runs failed`);
  if (s.removedFromCode) warnings.push('No longer declared in code: it does not fire (delete it, or declare it again)');
  return warnings;
}

export function describeCadence(s: Pick<Schedule, 'cron' | 'timeZone' | 'intervalMs'>): string {
  if (s.cron !== null) return `${s.cron} (${s.timeZone})`;
  const ms = s.intervalMs ?? 0;
  return ms % 1_000 === 0 ? `every ${ms / 1_000} s` : `every ${ms} ms`;
}

const path = (name: string, rest = '') => `/api/schedules/${encodeURIComponent(name)}${rest}`;

/** Schedules per page of the Schedules view. */
export const SCHEDULES_PAGE = 100;

/** Schedules by name, a page at a time (`GET /api/schedules` is paginated). */
export function useSchedules() {
  const refetchInterval = usePollInterval(false);
  return useInfiniteQuery({
    queryKey: ['schedules'],
    queryFn: ({ pageParam, signal }) =>
      getJson<{ items: Schedule[]; nextCursor: string | null }>(
        `/api/schedules${toQuery({ limit: SCHEDULES_PAGE, cursor: pageParam })}`,
        signal,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval,
  });
}

export function useSchedule(name: string) {
  const refetchInterval = usePollInterval(false);
  return useQuery({
    queryKey: ['schedule', name],
    queryFn: ({ signal }) => getJson<Schedule>(path(name), signal),
    refetchInterval,
  });
}

export function useScheduleRuns(name: string, limit = 50) {
  const refetchInterval = usePollInterval(false);
  return useQuery({
    queryKey: ['schedule-runs', name, limit],
    queryFn: ({ signal }) =>
      getJson<{ items: ScheduleRun[]; nextCursor: string | null }>(path(name, `/runs${toQuery({ limit })}`), signal),
    refetchInterval,
    placeholderData: keepPreviousData,
  });
}

function useRefreshSchedules() {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: ['schedules'] });
    void client.invalidateQueries({ queryKey: ['schedule'] });
    void client.invalidateQueries({ queryKey: ['schedule-runs'] });
    void client.invalidateQueries({ queryKey: ['jobs'] });
  };
}

export function usePauseSchedule() {
  const onSettled = useRefreshSchedules();
  return useMutation({
    mutationFn: ({ name, pause }: { name: string; pause: boolean }) =>
      sendJson<Lib.RestAnswer<'POST /schedules/:name/pause'>>('POST', path(name, pause ? '/pause' : '/resume')),
    onSettled,
  });
}

export function useRunSchedule() {
  const onSettled = useRefreshSchedules();
  return useMutation({
    mutationFn: (name: string) => sendJson<Lib.RestAnswer<'POST /schedules/:name/run'>>('POST', path(name, '/run')),
    onSettled,
  });
}

export function useUpdateSchedule() {
  const onSettled = useRefreshSchedules();
  return useMutation({
    mutationFn: ({ name, changes }: { name: string; changes: ScheduleChanges }) =>
      sendJson<Lib.RestAnswer<'PATCH /schedules/:name'>>('PATCH', path(name), changes),
    onSettled,
  });
}
