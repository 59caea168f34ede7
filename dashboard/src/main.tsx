import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { LiveProvider } from './live/LiveProvider';
import { RouterProvider } from './router';
import './styles.css';

const client = new QueryClient({
  defaultOptions: {
    queries: { staleTime: 1_000, retry: 1, refetchOnWindowFocus: true },
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
