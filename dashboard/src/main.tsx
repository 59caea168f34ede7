import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError } from './api/client';
import { App } from './App';
import { LiveProvider } from './live/LiveProvider';
import { RouterProvider } from './router';
import './styles.css';
import './components.css';

const client = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 1_000,
      // A 4xx (a job that does not exist, a bad filter) answers the same the second time: asked once.
      retry: (failures, error) => failures < 1 && !(error instanceof ApiError && error.status < 500),
      refetchOnWindowFocus: true,
    },
    mutations: { retry: false },
  },
});

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing from index.html');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={client}>
      <LiveProvider>
        <RouterProvider>
          <App />
        </RouterProvider>
      </LiveProvider>
    </QueryClientProvider>
  </StrictMode>,
);
