import type { JobSummary } from '../api/types';
import { DeadLetterRow } from './DeadLetterRow';

export interface Group {
  key: string;
  type: string;
  error: string;
  jobs: JobSummary[];
}

interface Props {
  group: Group;
  selected: ReadonlySet<string>;
  canReplay: boolean;
  onToggle(id: string): void;
  onSelectAll(ids: string[], select: boolean): void;
}

/** Failed jobs of one type with one error message. */
export function DeadLetterGroup({ group, selected, canReplay, onToggle, onSelectAll }: Props) {
  const ids = group.jobs.map((j) => j.id);
  const all = ids.every((id) => selected.has(id));
  return (
    <section className="card group" data-type={group.type}>
      <header className="row">
        {canReplay && (
          <input
            type="checkbox"
            aria-label={`select all ${group.type} jobs failing with this error`}
            checked={all}
            onChange={() => onSelectAll(ids, !all)}
          />
        )}
        <strong>{group.type}</strong>
        <span className="badge count-badge">{group.jobs.length}</span>
        <span className="error-text grow">{group.error}</span>
      </header>
      <ul className="dead-letters">
        {group.jobs.map((job) => (
          <DeadLetterRow
            key={job.id}
            job={job}
            selected={selected.has(job.id)}
            canReplay={canReplay}
            onToggle={() => onToggle(job.id)}
          />
        ))}
      </ul>
    </section>
  );
}
