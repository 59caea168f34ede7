import { useLive } from '../live/LiveContext';

const INTERVALS = [2_000, 5_000, 15_000, 60_000];

const STATUS_TEXT = {
  open: 'live',
  connecting: 'connecting…',
  unavailable: 'polling',
  paused: 'paused',
} as const;

/** Pause or resume refresh, choose the polling period, and see whether the event stream is up. */
export function RefreshControl() {
  const live = useLive();
  return (
    <div className="refresh-control">
      <span className={`live-dot live-${live.status}`} aria-hidden="true" />
      <span className="live-status" data-status={live.status}>
        {STATUS_TEXT[live.status]}
      </span>
      <label>
        <span className="sr-only">Refresh every</span>
        <select
          value={live.intervalMs}
          onChange={(e) => live.setIntervalMs(Number(e.target.value))}
          disabled={live.paused}
          title="Polling period (used when the event stream is unavailable)"
        >
          {INTERVALS.map((ms) => (
            <option key={ms} value={ms}>
              every {ms / 1000} s
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => live.setPaused(!live.paused)} aria-pressed={live.paused}>
        {live.paused ? 'Resume refresh' : 'Pause refresh'}
      </button>
    </div>
  );
}
