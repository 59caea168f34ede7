import { useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { useJob } from '../api/queries';
import type { JobDetail } from '../api/types';
import { AttemptList } from '../components/AttemptList';
import { ErrorNotice } from '../components/ErrorNotice';
import { JobActions } from '../components/JobActions';
import { PayloadView } from '../components/PayloadView';
import { ProgressBar } from '../components/ProgressBar';
import { RelativeTime } from '../components/RelativeTime';
import { StateBadge } from '../components/StateBadge';
import { Timeline } from '../components/Timeline';
import { formatDuration, formatTime } from '../format';
import { lastList } from '../hooks/useLastList';
import { useWatchJobs } from '../live/watch';
import { Link } from '../router';

const NONE: JobDetail[] = [];
const FINISHED = ['completed', 'failed', 'canceled'];

/** One job: its fields, payload, attempts with stack traces, timeline and actions. */
export function JobDetailView({ id }: { id: string }) {
  const [full, setFull] = useState(false);
  const query = useJob(id, full);
  const job = query.data;
  const back = lastList();
  useWatchJobs(useMemo(() => (job && !FINISHED.includes(job.state) ? [job] : NONE), [job]));
  if (query.error instanceof ApiError && query.error.status === 404) {
    return (
      <div className="view">
        <h2>Job {id}</h2>
        <p className="notice">No job with id {id}.</p>
      </div>
    );
  }
  return (
    <div className="view job-detail">
      <p className="small">
        <Link to={back.url} className="back-link">
          ← {back.title}
        </Link>
      </p>
      <ErrorNotice error={query.error} what="Job" />
      {!job ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <div className="section-head">
            <h2>
              Job {job.id} <span className="muted">{job.type}</span>
            </h2>
            <StateBadge state={job.state} />
          </div>
          <dl className="fields">
            <dt>queue</dt>
            <dd>
              <Link to={`/jobs?queue=${encodeURIComponent(job.queue)}`}>{job.queue}</Link>
            </dd>
            <dt>attempts</dt>
            <dd>
              {job.attempts} of {job.maxAttempts}
              {job.replays > 0 ? `, replayed ${job.replays}×` : ''}
            </dd>
            <dt>priority</dt>
            <dd>{job.priority}</dd>
            <dt>created</dt>
            <dd>{formatTime(job.createdAt)}</dd>
            <dt>run at</dt>
            <dd>
              {formatTime(job.runAt)} (<RelativeTime at={job.runAt} />)
            </dd>
            <dt>started</dt>
            <dd>{formatTime(job.startedAt)}</dd>
            <dt>finished</dt>
            <dd>{formatTime(job.finishedAt)}</dd>
            {job.startedAt && job.finishedAt && (
              <>
                <dt>duration</dt>
                <dd>{formatDuration(new Date(job.finishedAt).getTime() - new Date(job.startedAt).getTime())}</dd>
              </>
            )}
            {job.lockedBy && (
              <>
                <dt>running on</dt>
                <dd>{job.lockedBy}</dd>
              </>
            )}
            {job.idempotencyKey && (
              <>
                <dt>idempotency key</dt>
                <dd>
                  <code>{job.idempotencyKey}</code>
                </dd>
              </>
            )}
            {job.lastError && (
              <>
                <dt>last error</dt>
                <dd className="error-text">{job.lastError}</dd>
              </>
            )}
          </dl>
          <JobActions job={job} backTo={back.url} />
          {job.progress != null && (
            <section>
              <h3>Progress</h3>
              <ProgressBar value={job.progress} />
            </section>
          )}
          <section>
            <h3>Payload</h3>
            <PayloadView payload={job.payload} full={full} onShowAll={() => setFull(true)} />
          </section>
          <section>
            <h3>Attempts</h3>
            <AttemptList attempts={job.attemptHistory} />
          </section>
          <section>
            <h3>Timeline</h3>
            <Timeline entries={job.timeline ?? []} />
          </section>
        </>
      )}
    </div>
  );
}
