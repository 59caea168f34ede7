import type { JobState } from '../api/types';

export function StateBadge({ state }: { state: JobState }) {
  return <span className={`badge state-${state}`}>{state}</span>;
}
