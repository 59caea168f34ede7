import { createContext, useContext } from 'react';
import type { WatchRegistry } from './watch';

export type StreamStatus = 'connecting' | 'open' | 'unavailable' | 'paused';

export interface LiveSettings {
  /** No refresh at all: the stream is closed and nothing polls. */
  paused: boolean;
  /** Polling period while the event stream is unavailable (and for data the stream does not carry). */
  intervalMs: number;
  status: StreamStatus;
  setPaused(paused: boolean): void;
  setIntervalMs(ms: number): void;
  /** Jobs the views ask the stream to follow. */
  registry: WatchRegistry;
  /** When the current stream connection opened (this browser's clock), null before it first opens. */
  openedAt: number | null;
}

export const LiveContext = createContext<LiveSettings | null>(null);

export function useLive(): LiveSettings {
  const value = useContext(LiveContext);
  if (!value) throw new Error('useLive outside LiveProvider');
  return value;
}

/**
 * How often a query polls: never when paused; for data the event stream invalidates, only a slow
 * safety poll while the stream is open; otherwise the chosen interval.
 */
export function usePollInterval(streamed: boolean): number | false {
  const { paused, intervalMs, status } = useLive();
  if (paused) return false;
  if (streamed && status === 'open') return Math.max(intervalMs, 30_000);
  return intervalMs;
}
