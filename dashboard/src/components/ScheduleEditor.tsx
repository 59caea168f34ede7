import { useId, useState, type FormEvent } from 'react';
import type { MissedPolicy, OverlapPolicy, Schedule, ScheduleChanges } from '../api/schedules';

interface Props {
  schedule: Schedule;
  busy: boolean;
  onSubmit(changes: ScheduleChanges): void;
  onCancel(): void;
}

/** Edits a run-time schedule: cadence, payload, policies. The API checks every field (400 names it). */
export function ScheduleEditor({ schedule: s, busy, onSubmit, onCancel }: Props) {
  const id = useId();
  const [kind, setKind] = useState<'cron' | 'interval'>(s.cron !== null ? 'cron' : 'interval');
  const [cron, setCron] = useState(s.cron ?? '0 * * * *');
  const [timeZone, setTimeZone] = useState(s.timeZone);
  const [seconds, setSeconds] = useState(String((s.intervalMs ?? 60_000) / 1_000));
  const [payload, setPayload] = useState(() => JSON.stringify(s.payload, null, 2));
  const [missed, setMissed] = useState<MissedPolicy>(s.missed);
  const [overlap, setOverlap] = useState<OverlapPolicy>(s.overlap);
  const [jitter, setJitter] = useState(String(s.jitterMs / 1_000));
  let parsed: unknown;
  let payloadError: string | null = null;
  try {
    parsed = JSON.parse(payload);
  } catch (err) {
    payloadError = err instanceof Error ? err.message : String(err);
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (payloadError) return;
    const cadence: ScheduleChanges =
      kind === 'cron' ? { cron, timeZone } : { intervalMs: Math.round(Number(seconds) * 1_000) };
    onSubmit({ ...cadence, payload: parsed, missed, overlap, jitterMs: Math.round(Number(jitter) * 1_000) });
  };
  return (
    <form className="schedule-editor card" onSubmit={submit}>
      <fieldset className="row">
        <label>
          <input type="radio" name={`${id}-kind`} checked={kind === 'cron'} onChange={() => setKind('cron')} /> cron
        </label>
        <label>
          <input type="radio" name={`${id}-kind`} checked={kind === 'interval'} onChange={() => setKind('interval')} />{' '}
          fixed interval
        </label>
      </fieldset>
      {kind === 'cron' ? (
        <div className="row">
          <label>
            cron <input name="cron" value={cron} onChange={(e) => setCron(e.target.value)} />
          </label>
          <label>
            time zone <input name="timeZone" value={timeZone} onChange={(e) => setTimeZone(e.target.value)} />
          </label>
        </div>
      ) : (
        <label>
          every (s) <input name="interval" value={seconds} onChange={(e) => setSeconds(e.target.value)} />
        </label>
      )}
      <div className="row">
        <label>
          missed ticks{' '}
          <select name="missed" value={missed} onChange={(e) => setMissed(e.target.value as MissedPolicy)}>
            <option value="skip">skip</option>
            <option value="once">once</option>
            <option value="all">all (up to {s.maxCatchUp})</option>
          </select>
        </label>
        <label>
          overlap{' '}
          <select name="overlap" value={overlap} onChange={(e) => setOverlap(e.target.value as OverlapPolicy)}>
            <option value="allow">allow</option>
            <option value="skip">skip</option>
            <option value="queue">queue</option>
            <option value="replace">replace</option>
          </select>
        </label>
        <label>
          jitter (s) <input name="jitter" value={jitter} onChange={(e) => setJitter(e.target.value)} />
        </label>
      </div>
      <label htmlFor={`${id}-payload`}>Payload (JSON)</label>
      <textarea
        id={`${id}-payload`}
        name="payload"
        value={payload}
        spellCheck={false}
        rows={Math.min(12, Math.max(3, payload.split('\n').length))}
        onChange={(e) => setPayload(e.target.value)}
      />
      {payloadError && <p className="notice error">Not valid JSON: {payloadError}</p>}
      <div className="row">
        <button type="submit" className="primary" disabled={busy || payloadError !== null}>
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
