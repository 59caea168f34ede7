import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { JobChange, QueueSummary } from '../api/types';
import { LiveContext, type StreamStatus } from './LiveContext';

/**
 * Listens to the API's Server-Sent Events (`/api/changes`) and invalidates the queries they concern.
 * When the stream cannot be opened, queries fall back to polling (see usePollInterval).
 */
export function LiveProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [paused, setPaused] = useState(false);
  const [intervalMs, setIntervalMs] = useState(5_000);
  const [stream, setStream] = useState<Exclude<StreamStatus, 'paused'>>('connecting');

  useEffect(() => {
    if (paused || typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/changes');
    source.onopen = () => setStream('open');
    // EventSource reconnects by itself; meanwhile (or for good, if it gave up) queries poll.
    source.onerror = () => setStream(source.readyState === EventSource.CLOSED ? 'unavailable' : 'connecting');
    source.addEventListener('jobs', (event) => {
      let changes: JobChange[] = [];
      try {
        changes = (JSON.parse((event as MessageEvent<string>).data) as { changes?: JobChange[] }).changes ?? [];
      } catch {
        return;
      }
      void client.invalidateQueries({ queryKey: ['jobs'] });
      for (const change of changes) void client.invalidateQueries({ queryKey: ['job', change.id] });
      void client.invalidateQueries({ queryKey: ['queues'] });
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
  }, [paused, client]);

  const value = useMemo(
    () => ({
      paused,
      intervalMs,
      status: paused ? ('paused' as const) : typeof EventSource === 'undefined' ? ('unavailable' as const) : stream,
      setPaused,
      setIntervalMs,
    }),
    [paused, intervalMs, stream],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
