import { Nav } from './components/Nav';
import { ViewBoundary } from './components/ViewBoundary';
import { matchPath, useRouter } from './router';
import { AuditView } from './views/AuditView';
import { DeadLettersView } from './views/DeadLettersView';
import { JobDetailView } from './views/JobDetailView';
import { JobsView } from './views/JobsView';
import { NotFoundView } from './views/NotFoundView';
import { OverviewView } from './views/OverviewView';
import { QueuesView } from './views/QueuesView';
import { RetriesView } from './views/RetriesView';
import { ScheduleDetailView } from './views/ScheduleDetailView';
import { SchedulesView } from './views/SchedulesView';

function CurrentView() {
  const { path } = useRouter();
  const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (normalized === '/') return <OverviewView />;
  if (normalized === '/jobs') return <JobsView />;
  const job = matchPath('/jobs/:id', normalized);
  if (job) return <JobDetailView key={job.id} id={job.id} />;
  if (normalized === '/retries') return <RetriesView />;
  if (normalized === '/dead-letters') return <DeadLettersView />;
  if (normalized === '/queues') return <QueuesView />;
  if (normalized === '/schedules') return <SchedulesView />;
  if (normalized === '/audit') return <AuditView />;
  const schedule = matchPath('/schedules/:name', normalized);
  if (schedule) return <ScheduleDetailView key={schedule.name} name={schedule.name} />;
  return <NotFoundView path={path} />;
}

export function App() {
  const { path } = useRouter();
  return (
    <>
      <Nav />
      <main>
        <ViewBoundary key={path}>
          <CurrentView />
        </ViewBoundary>
      </main>
    </>
  );
}
