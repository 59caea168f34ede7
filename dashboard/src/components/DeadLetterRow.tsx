import { useState } from 'react';
import { useReplayJob } from '../api/mutations';
import type { JobSummary } from '../api/types';
import { Link } from '../router';
import { ErrorNotice } from './ErrorNotice';
import { PayloadEditor } from './PayloadEditor';
import { RelativeTime } from './RelativeTime';

interface Props {
  job: JobSummary;
  selected: boolean;
  canReplay: boolean;
  onToggle(): void;
}

function previewValue(preview: string): unknown {
  try {
    return JSON.parse(preview);
  } catch {
    return undefined;
  }
}

/** One failed job: select it, replay it, or edit its payload and replay. */
export function DeadLetterRow({ job, selected, canReplay, onToggle }: Props) {
  const replay = useReplayJob();
  const [editing, setEditing] = useState(false);
  // The preview is cut at 200 characters: only a preview that parses whole can seed the editor.
  const initial = previewValue(job.payloadPreview);
  return (
    <li className="dead-letter" data-job-id={job.id}>
      <div className="row">
        {canReplay && (
          <input type="checkbox" aria-label={`select job ${job.id}`} checked={selected} onChange={onToggle} />
        )}
        <Link to={`/jobs/${job.id}`}>#{job.id}</Link>
        <span className="muted small">
          {job.queue} · {job.attempts}/{job.maxAttempts} attempts · failed <RelativeTime at={job.finishedAt} />
        </span>
        <code className="preview grow">{job.payloadPreview}</code>
        {canReplay && (
          <>
            <button type="button" disabled={replay.isPending} onClick={() => replay.mutate({ id: job.id })}>
              Replay
            </button>
            {initial !== undefined && (
              <button type="button" onClick={() => setEditing(!editing)}>
                Edit &amp; replay
              </button>
            )}
          </>
        )}
      </div>
      {editing && (
        <PayloadEditor
          initial={initial}
          submitLabel="Replay with this payload"
          busy={replay.isPending}
          onSubmit={(payload) => replay.mutate({ id: job.id, payload }, { onSuccess: () => setEditing(false) })}
          onCancel={() => setEditing(false)}
        />
      )}
      <ErrorNotice error={replay.error} what="Replay failed" />
    </li>
  );
}
