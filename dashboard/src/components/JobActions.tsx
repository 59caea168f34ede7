import { useState } from 'react';
import { useCancelJob, useDeleteJob, useReplayJob, useRunNow } from '../api/mutations';
import { useAccess } from '../api/queries';
import type { JobDetail } from '../api/types';
import { useRouter } from '../router';
import { ConfirmButton } from './ConfirmButton';
import { ErrorNotice } from './ErrorNotice';
import { PayloadEditor } from './PayloadEditor';

const FINISHED = ['completed', 'failed', 'canceled'];

/** Run now, cancel, replay (optionally with an edited payload), delete: only what the caller may do. */
export function JobActions({ job, backTo }: { job: JobDetail; backTo: string }) {
  const access = useAccess();
  const { navigate } = useRouter();
  const cancel = useCancelJob();
  const replay = useReplayJob();
  const runNow = useRunNow();
  const remove = useDeleteJob();
  const [editing, setEditing] = useState(false);
  const canCancel = access.cancel && ['pending', 'scheduled', 'running'].includes(job.state);
  const canReplay = access.replay && (job.state === 'failed' || job.state === 'canceled');
  const canRunNow = access.replay && job.state === 'scheduled';
  const canDelete = access.delete && FINISHED.includes(job.state);
  const payloadCut = typeof job.payload === 'object' && job.payload !== null && 'truncated' in job.payload;

  if (!access.cancel && !access.replay && !access.delete) {
    return <p className="muted small read-only-note">Read-only access: no actions.</p>;
  }
  return (
    <div className="actions">
      <div className="row">
        {canRunNow && (
          <button type="button" className="primary" disabled={runNow.isPending} onClick={() => runNow.mutate(job.id)}>
            Run now
          </button>
        )}
        {canCancel && (
          <ConfirmButton
            label="Cancel job"
            danger
            busy={cancel.isPending}
            message={`Cancel job ${job.id} (${job.type}, ${job.state})?${job.state === 'running' ? ' Its handler is aborted.' : ''}`}
            confirmLabel="Cancel the job"
            onConfirm={() => cancel.mutate(job.id)}
          />
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
        {canDelete && (
          <ConfirmButton
            label="Delete job"
            danger
            busy={remove.isPending}
            message={`Delete job ${job.id} (${job.type}, ${job.state}) with its attempts and timeline? This cannot be undone.`}
            confirmLabel="Delete the job"
            onConfirm={() => remove.mutate(job.id, { onSuccess: () => navigate(backTo) })}
          />
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
      <ErrorNotice error={runNow.error} what="Run now failed" />
      <ErrorNotice error={cancel.error} what="Cancel failed" />
      <ErrorNotice error={replay.error} what="Replay failed" />
      <ErrorNotice error={remove.error} what="Delete failed" />
    </div>
  );
}
