import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { QueueSummary } from '../api/types';
import { apiUrl } from '../config';
import { LiveContext, type StreamStatus } from './LiveContext';
import { applyJobChanges, parseChanges } from './patch';
import { WatchRegistry } from './watch';

/** Waits this long for the watched set to settle before reopening the stream with it. */
const WATCH_SETTLE_MS = 400;
/** Reopens the stream for new ids at most this often (a browser clock ahead of the server's could
 * otherwise make every new job look older than the connection). */
const MIN_REOPEN_MS = 10_000;

/** The watched ids the stream must be opened with: grows (reopen) when a new id is not followed yet. */
function useStreamWatch(registry: WatchRegistry): string {
  const [watch, setWatch] = useState('');
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let followed = new Set<string>();
    let reopenedAt = 0;
    const apply = () => {
      const ids = registry.ids();
      // Fewer ids need no reconnect: the stream following a few more does no harm.
      if (ids.every((id) => followed.has(id))) return;
      followed = new Set(ids);
      reopenedAt = Date.now();
      setWatch(ids.sort().join(','));
    };
    const update = () => {
      clearTimeout(timer);
      timer = setTimeout(apply, Math.max(WATCH_SETTLE_MS, reopenedAt + MIN_REOPEN_MS - Date.now()));
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
    const source = new EventSource(apiUrl(watch === '' ? '/api/changes' : `/api/changes?watch=${watch}`));
    source.onopen = () => {
      setStream('open');
      setOpenedAt(Date.now());
    };
    // EventSource reconnects by itself; meanwhile (or for good, if it gave up) queries poll.
    source.onerror = () => setStream(source.readyState === EventSource.CLOSED ? 'unavailable' : 'connecting');
    source.addEventListener('jobs', (event) => {
      const changes = parseChanges((event as MessageEvent<string>).data);
      if (changes) applyJobChanges(client, changes);
    });
    source.addEventListener('queues', (event) => {
      try {
        const data = JSON.parse((event as MessageEvent<string>).data) as { items?: QueueSummary[] } | QueueSummary[];
        const items = Array.isArray(data) ? data : data.items;
        if (items) client.setQueryData(['queues'], { items });
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
