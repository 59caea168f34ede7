import { useAccess } from '../api/queries';
import { Link, useRouter } from '../router';
import { RefreshControl } from './RefreshControl';

const ITEMS = [
  { to: '/', label: 'Overview' },
  { to: '/jobs', label: 'Jobs' },
  { to: '/retries', label: 'Retries' },
  { to: '/dead-letters', label: 'Dead letters' },
  { to: '/queues', label: 'Queues' },
  { to: '/schedules', label: 'Schedules' },
  { to: '/audit', label: 'Audit' },
];

/** The top bar: views, the caller's access, refresh. */
export function Nav() {
  const { path } = useRouter();
  const access = useAccess();
  const readOnly = !access.replay && !access.cancel && !access.pause;
  return (
    <header className="topbar">
      <h1>
        <Link to="/">Jobs</Link>
      </h1>
      <nav>
        {ITEMS.map((item) => {
          const active = item.to === '/' ? path === '/' : path.startsWith(item.to);
          return (
            <Link key={item.to} to={item.to} aria-current={active ? 'page' : undefined}>
              {item.label}
            </Link>
          );
        })}
      </nav>
      <div className="grow" />
      {readOnly && (
        <span className="badge read-only" title="Your access lets you read, not change, jobs and queues">
          read-only
        </span>
      )}
      <RefreshControl />
    </header>
  );
}
