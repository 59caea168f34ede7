import { useState } from 'react';
import { useCleanJobs, type CleanRequest } from '../api/mutations';
import { ConfirmButton } from './ConfirmButton';
import { ErrorNotice } from './ErrorNotice';

const AGES: Array<{ label: string; ms: number }> = [
  { label: '1 hour', ms: 3_600_000 },
  { label: '1 day', ms: 86_400_000 },
  { label: '7 days', ms: 7 * 86_400_000 },
  { label: '30 days', ms: 30 * 86_400_000 },
  { label: 'any age', ms: 0 },
];

/** Deletes finished jobs of one state older than an age (of one queue, or all), after a confirmation. */
export function CleanJobs({ queue }: { queue?: string }) {
  const clean = useCleanJobs();
  const [state, setState] = useState<CleanRequest['state']>('completed');
  const [age, setAge] = useState(AGES[1].ms);
  const ageLabel = AGES.find((a) => a.ms === age)?.label ?? '';
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
          <select aria-label="finished longer ago than" value={age} onChange={(e) => setAge(Number(e.target.value))}>
            {AGES.map((a) => (
              <option key={a.ms} value={a.ms}>
                {a.label}
              </option>
            ))}
          </select>{' '}
          ago
        </label>
        <ConfirmButton
          label="Clean…"
          danger
          busy={clean.isPending}
          message={`Delete every ${state} job ${where} finished ${age === 0 ? 'at any time' : `more than ${ageLabel} ago`}, with its history? This cannot be undone.`}
          confirmLabel={`Delete ${state} jobs`}
          onConfirm={() => clean.mutate({ queue, state, olderThanMs: age })}
        />
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
