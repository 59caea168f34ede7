import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
}

interface State {
  error: Error | null;
}

/**
 * Catches what a view throws while rendering (a value it cannot show, a bug) and says so in place
 * of the view, with a retry; the navigation and the other views keep working. Keyed by the path
 * where it is used, so moving to another view starts afresh.
 */
export class ViewBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('A view failed to render', error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="view view-failed" role="alert">
        <h2>This view cannot be shown</h2>
        <p className="notice error">{error.message.slice(0, 500)}</p>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    );
  }
}
