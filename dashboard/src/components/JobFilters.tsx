import { useQueues } from '../api/queries';
import { JOB_STATES, type ListFilter } from '../api/types';

interface Props {
  filter: ListFilter;
  onChange(changes: Partial<Record<keyof ListFilter, string | undefined>>): void;
  /** Hide the state selector (views fixed to one state). */
  fixedState?: boolean;
  /** Queue and type only (views whose data the server groups). */
  compact?: boolean;
}

/** ISO time → the local "YYYY-MM-DDTHH:mm" a datetime-local input shows. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** A datetime-local value (local time) → ISO 8601, or undefined when empty. */
function fromLocalInput(value: FormDataEntryValue | null): string | undefined {
  const text = String(value ?? '').trim();
  if (text === '') return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Queue, state, type, search, error text and created-between filters; the parent keeps them in the URL. */
export function JobFilters({ filter, onChange, fixedState, compact }: Props) {
  const queues = useQueues();
  const names = queues.data?.items.map((q) => q.name) ?? [];
  if (filter.queue && !names.includes(filter.queue)) names.push(filter.queue);
  return (
    <form
      className="filters"
      role="search"
      key={[filter.type, filter.q, filter.error, filter.from, filter.to].join('|')}
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        onChange({
          type: String(data.get('type') ?? '').trim(),
          q: String(data.get('q') ?? '').trim(),
          error: String(data.get('error') ?? '').trim(),
          from: fromLocalInput(data.get('from')),
          to: fromLocalInput(data.get('to')),
        });
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
        <input name="type" defaultValue={filter.type ?? ''} placeholder="exact type" size={12} />
      </label>
      {!compact && (
        <>
          <label className="grow">
            Search
            <input
              name="q"
              type="search"
              defaultValue={filter.q ?? ''}
              placeholder="job id, idempotency key, or payload.user.id:42"
            />
          </label>
          <label>
            Error contains
            <input name="error" type="search" defaultValue={filter.error ?? ''} placeholder="text of the last error" />
          </label>
          <label>
            Created from
            <input name="from" type="datetime-local" defaultValue={toLocalInput(filter.from)} />
          </label>
          <label>
            Created before
            <input name="to" type="datetime-local" defaultValue={toLocalInput(filter.to)} />
          </label>
        </>
      )}
      <button type="submit">Apply</button>
    </form>
  );
}
