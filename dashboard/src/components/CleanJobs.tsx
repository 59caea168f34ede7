import { useState } from 'react';
import { useCleanJobs, type CleanRequest } from '../api/mutations';
import { ConfirmButton } from './ConfirmButton';
import { ErrorNotice } from './ErrorNotice';

const UNITS: Array<{ label: string; ms: number }> = [
  { label: 'minutes', ms: 60_000 },
  { label: 'hours', ms: 3_600_000 },
  { label: 'days', ms: 86_400_000 },
];

/** "3 days", "1 hour": an age as the confirmation says it. */
function ageText(amount: number, unit: { label: string }): string {
  return `${amount.toLocaleString()} ${amount === 1 ? unit.label.slice(0, -1) : unit.label}`;
}

/** Deletes finished jobs of one state older than an age (of one queue, or all), after a confirmation. */
export function CleanJobs({ queue }: { queue?: string }) {
  const clean = useCleanJobs();
  const [state, setState] = useState<CleanRequest['state']>('completed');
  const [amount, setAmount] = useState('1');
  const [unitMs, setUnitMs] = useState(86_400_000);
  const unit = UNITS.find((u) => u.ms === unitMs) ?? UNITS[2];
  // Any whole number of minutes, hours or days; 0 means every finished job of the state.
  const count = /^\d{1,6}$/.test(amount.trim()) ? Number(amount.trim()) : null;
  const age = count === null ? null : count * unit.ms;
  const where = queue ? `of queue ${queue}` : 'of every queue';
  return (
    <details className="clean-jobs">
      <summary>Clean finished jobs…</summary>
      <div className="row">
        <label className="small">
          Delete{' '}
          <select
            aria-label="which finished jobs to clean"
            value={state}
            onChange={(e) => setState(e.target.value as CleanRequest['state'])}
          >
            <option value="completed">completed</option>
            <option value="failed">failed</option>
            <option value="canceled">canceled</option>
          </select>
        </label>
        <label className="small">
          finished more than{' '}
          <input
            aria-label="finished longer ago than"
            className="age-amount"
            inputMode="numeric"
            size={5}
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
        </label>{' '}
        <select aria-label="age unit" value={unitMs} onChange={(e) => setUnitMs(Number(e.target.value))}>
          {UNITS.map((u) => (
            <option key={u.ms} value={u.ms}>
              {u.label}
            </option>
          ))}
        </select>{' '}
        <span className="small">ago</span>
        <ConfirmButton
          label="Clean…"
          danger
          busy={clean.isPending}
          disabled={age === null}
          message={`Delete every ${state} job ${where} finished ${age === 0 ? 'at any time' : `more than ${ageText(count ?? 0, unit)} ago`}, with its history? This cannot be undone.`}
          confirmLabel={`Delete ${state} jobs`}
          onConfirm={() => age !== null && clean.mutate({ queue, state, olderThanMs: age })}
        />
        {age === null && <span className="small error-text">The age is a whole number (0: any age).</span>}
      </div>
      <ErrorNotice error={clean.error} what="Clean failed" />
      {clean.data && (
        <p className="notice ok" role="status">
          Deleted {clean.data.deleted.toLocaleString()} {state} job{clean.data.deleted === 1 ? '' : 's'}.
        </p>
      )}
    </details>
  );
}
