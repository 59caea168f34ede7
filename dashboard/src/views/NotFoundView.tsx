import { Link } from '../router';

export function NotFoundView({ path }: { path: string }) {
  return (
    <div className="view">
      <h2>Not found</h2>
      <p>
        Nothing at <code>{path}</code>. <Link to="/">Back to the overview</Link>
      </p>
    </div>
  );
}
