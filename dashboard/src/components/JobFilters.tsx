import { useQueues } from '../api/queries';
import { JOB_STATES, type ListFilter } from '../api/types';

interface Props {
  filter: ListFilter;
  onChange(changes: Partial<Record<keyof ListFilter, string | undefined>>): void;
  /** Hide the state selector (views fixed to one state). */
  fixedState?: boolean;
}

/** Queue, state, type and search filters; the parent keeps them in the URL. */
export function JobFilters({ filter, onChange, fixedState }: Props) {
  const queues = useQueues();
  const names = queues.data?.items.map((q) => q.name) ?? [];
  if (filter.queue && !names.includes(filter.queue)) names.push(filter.queue);
  return (
    <form
      className="filters"
      role="search"
      key={`${filter.type ?? ''}|${filter.q ?? ''}`}
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        onChange({ type: String(data.get('type') ?? '').trim(), q: String(data.get('q') ?? '').trim() });
      }}
    >
      <label>
        Queue
        <select name="queue" value={filter.queue ?? ''} onChange={(e) => onChange({ queue: e.target.value })}>
          <option value="">all</option>
          {names.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      {!fixedState && (
        <label>
          State
          <select name="state" value={filter.state ?? ''} onChange={(e) => onChange({ state: e.target.value })}>
            <option value="">all</option>
            {JOB_STATES.map((state) => (
              <option key={state} value={state}>
                {state}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        Type
        <input name="type" defaultValue={filter.type ?? ''} placeholder="exact type" size={14} />
      </label>
      <label className="grow">
        Search
        <input
          name="q"
          type="search"
          defaultValue={filter.q ?? ''}
          placeholder="job id, idempotency key, or payload.user.id:42"
        />
      </label>
      <button type="submit">Apply</button>
    </form>
  );
}
