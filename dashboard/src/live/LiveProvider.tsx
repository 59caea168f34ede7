import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { QueueSummary } from '../api/types';
import { LiveContext, type StreamStatus } from './LiveContext';
import { applyJobChanges, parseChanges } from './patch';
import { WatchRegistry } from './watch';

/** Waits this long for the watched set to settle before reopening the stream with it. */
const WATCH_SETTLE_MS = 400;

/** The watched ids the stream must be opened with: grows (reopen) when a new id is not followed yet. */
function useStreamWatch(registry: WatchRegistry): string {
  const [watch, setWatch] = useState('');
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const ids = registry.ids();
        setWatch((current) => {
          const followed = new Set(current.split(','));
          // Fewer ids need no reconnect: the stream following a few more does no harm.
          return ids.every((id) => followed.has(id)) ? current : ids.sort().join(',');
        });
      }, WATCH_SETTLE_MS);
    };
    const unsubscribe = registry.subscribe(update);
    update();
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [registry]);
  return watch;
}

/**
 * Listens to the API's Server-Sent Events (`/api/changes`, following the jobs the views show) and
 * patches and invalidates the queries they concern. When the stream cannot be opened, queries fall
 * back to polling (see usePollInterval).
 */
export function LiveProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [registry] = useState(() => new WatchRegistry());
  const [paused, setPaused] = useState(false);
  const [intervalMs, setIntervalMs] = useState(5_000);
  const [stream, setStream] = useState<Exclude<StreamStatus, 'paused'>>('connecting');
  const [openedAt, setOpenedAt] = useState<number | null>(null);
  const watch = useStreamWatch(registry);

  useEffect(() => {
    if (paused || typeof EventSource === 'undefined') return;
    const source = new EventSource(watch === '' ? '/api/changes' : `/api/changes?watch=${watch}`);
    // The server's time of the first message: jobs created after it are followed without asking.
    let timed = false;
    const noteTime = (data: string) => {
      if (timed) return;
      const at = Date.parse((JSON.parse(data) as { at?: string }).at ?? '');
      if (Number.isFinite(at)) {
        timed = true;
        setOpenedAt(at);
      }
    };
    source.onopen = () => {
      timed = false;
      setStream('open');
      setOpenedAt(null);
    };
    // EventSource reconnects by itself; meanwhile (or for good, if it gave up) queries poll.
    source.onerror = () => setStream(source.readyState === EventSource.CLOSED ? 'unavailable' : 'connecting');
    source.addEventListener('jobs', (event) => {
      const data = (event as MessageEvent<string>).data;
      const changes = parseChanges(data);
      if (changes) {
        applyJobChanges(client, changes);
        noteTime(data);
      }
    });
    source.addEventListener('queues', (event) => {
      try {
        const data = JSON.parse((event as MessageEvent<string>).data) as { items?: QueueSummary[] } | QueueSummary[];
        const items = Array.isArray(data) ? data : data.items;
        if (items) client.setQueryData(['queues'], { items });
        noteTime((event as MessageEvent<string>).data);
      } catch {
        void client.invalidateQueries({ queryKey: ['queues'] });
      }
    });
    return () => {
      source.close();
      setStream('connecting');
    };
  }, [paused, client, watch]);

  const value = useMemo(
    () => ({
      paused,
      intervalMs,
      status: paused ? ('paused' as const) : typeof EventSource === 'undefined' ? ('unavailable' as const) : stream,
      setPaused,
      setIntervalMs,
      registry,
      openedAt,
    }),
    [paused, intervalMs, stream, registry, openedAt],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
