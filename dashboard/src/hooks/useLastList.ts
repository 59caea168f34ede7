import { useEffect } from 'react';
import { useRouter } from '../router';

const KEY = 'jobs-dashboard:last-list';

export interface LastList {
  url: string;
  title: string;
}

/** Remembers the list view shown (with its filters) so that a job's "back" link returns to it. */
export function useRememberList(title: string): void {
  const { path, search } = useRouter();
  useEffect(() => {
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ url: `${path}${search}`, title }));
    } catch {
      // Storage refused (private mode): "back" falls back to the jobs list.
    }
  }, [path, search, title]);
}

/** The list view last shown in this tab, else the jobs list. */
export function lastList(): LastList {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as LastList | null;
    if (saved && typeof saved.url === 'string' && saved.url.startsWith('/')) return saved;
  } catch {
    // Unreadable: the default below.
  }
  return { url: '/jobs', title: 'Jobs' };
}
