import { useState } from 'react';
import { useCancelJob, useReplayJob } from '../api/mutations';
import { useAccess } from '../api/queries';
import type { JobDetail } from '../api/types';
import { ErrorNotice } from './ErrorNotice';
import { PayloadEditor } from './PayloadEditor';

/** Cancel or replay (optionally with an edited payload); only the actions the caller may do. */
export function JobActions({ job }: { job: JobDetail }) {
  const access = useAccess();
  const cancel = useCancelJob();
  const replay = useReplayJob();
  const [editing, setEditing] = useState(false);
  const canCancel = access.cancel && ['pending', 'scheduled', 'running'].includes(job.state);
  const canReplay = access.replay && (job.state === 'failed' || job.state === 'canceled');
  const payloadCut = typeof job.payload === 'object' && job.payload !== null && 'truncated' in job.payload;

  if (!access.cancel && !access.replay) {
    return <p className="muted small read-only-note">Read-only access: no actions.</p>;
  }
  return (
    <div className="actions">
      <div className="row">
        {canCancel && (
          <button type="button" className="danger" disabled={cancel.isPending} onClick={() => cancel.mutate(job.id)}>
            Cancel job
          </button>
        )}
        {canReplay && (
          <button
            type="button"
            className="primary"
            disabled={replay.isPending}
            onClick={() => replay.mutate({ id: job.id })}
          >
            Replay
          </button>
        )}
        {canReplay && !editing && !payloadCut && (
          <button type="button" onClick={() => setEditing(true)}>
            Edit payload and replay
          </button>
        )}
      </div>
      {editing && (
        <PayloadEditor
          initial={job.payload}
          submitLabel="Replay with this payload"
          busy={replay.isPending}
          onSubmit={(payload) => replay.mutate({ id: job.id, payload }, { onSuccess: () => setEditing(false) })}
          onCancel={() => setEditing(false)}
        />
      )}
      <ErrorNotice error={cancel.error} what="Cancel failed" />
      <ErrorNotice error={replay.error} what="Replay failed" />
    </div>
  );
}
