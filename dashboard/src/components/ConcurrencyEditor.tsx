import { useState } from 'react';
import { useSetConcurrency } from '../api/mutations';
import type { QueueSummary } from '../api/types';
import { ErrorNotice } from './ErrorNotice';

/** Sets the queue's concurrency per node (every node follows within its poll interval), or clears it. */
export function ConcurrencyEditor({ queue }: { queue: QueueSummary }) {
  const set = useSetConcurrency();
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(
    String(queue.concurrencySetting ?? Object.values(queue.concurrencyPerNode ?? {})[0] ?? 1),
  );
  if (!editing) {
    return (
      <button type="button" className="small" onClick={() => setEditing(true)}>
        Change concurrency
      </button>
    );
  }
  const n = Number(value);
  const valid = value.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= 1000;
  return (
    <form
      className="row concurrency-editor"
      onSubmit={(event) => {
        event.preventDefault();
        if (valid) set.mutate({ name: queue.name, concurrency: n }, { onSuccess: () => setEditing(false) });
      }}
    >
      <label className="small">
        Concurrency per node{' '}
        <input
          type="number"
          min={0}
          max={1000}
          step={1}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-invalid={!valid}
          size={5}
        />
      </label>
      <button type="submit" className="primary" disabled={!valid || set.isPending}>
        Save
      </button>
      {queue.concurrencySetting != null && (
        <button
          type="button"
          disabled={set.isPending}
          onClick={() => set.mutate({ name: queue.name, concurrency: null }, { onSuccess: () => setEditing(false) })}
        >
          Use each node&apos;s own setting
        </button>
      )}
      <button type="button" onClick={() => setEditing(false)}>
        Close
      </button>
      <ErrorNotice error={set.error} what="Change failed" />
    </form>
  );
}
