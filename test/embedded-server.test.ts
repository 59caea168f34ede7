import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { artifactsRoot, ServerNode } from './support/cluster';
import { waitFor } from './support/wait';

/** PostgreSQL processes serving `dataDir`, by their command line. */
function postgresOf(dataDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', `postgres -D ${dataDir}`], { encoding: 'utf8' })
      .trim()
      .split('\n');
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('the server on its embedded PostgreSQL (DATABASE_URL unset)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-embedded-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as the 'postgres' user and must reach it
  const dataDir = join(dir, 'pg');
  const logs = join(artifactsRoot, `embedded-${Date.now()}`);
  mkdirSync(logs, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', JOBS_DATA_DIR: dataDir, JOBS_SHUTDOWN_GRACE_MS: '300' };
  delete env.DATABASE_URL;
  const nodes: ServerNode[] = [];
  const start = (name: string) => {
    const node = new ServerNode(name, join(logs, `${name}.log`), join(logs, `${name}.exec.log`), env);
    nodes.push(node);
    return node.ready(90_000);
  };
  const job = async (node: ServerNode, id: string) =>
    (await (await fetch(`${node.url}/api/jobs/${id}`)).json()) as { state: string; attempts: number };

  after(() => {
    for (const node of nodes) node.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    rmSync(logs, { recursive: true, force: true });
  });

  it('SIGTERM drains and hands jobs back before the database stops; the data survives a restart', async () => {
    const first = await start('first');
    const id = await first.enqueue('simulate', { durationMs: 60_000 });
    await waitFor(async () => (await job(first, id)).state === 'running', { message: 'the job to start' });

    first.kill('SIGTERM');
    const exit = await first.waitForExit(30_000);
    assert.equal(exit?.code, 0, first.tail());
    const log = first.log();
    assert.match(log, /Handed back 1 unfinished jobs/, first.tail());
    assert.doesNotMatch(log, /terminating connection due to administrator command/, first.tail());
    assert.doesNotMatch(log, /Leaving the registry failed/, first.tail());
    await waitFor(() => postgresOf(dataDir).length === 0, { timeoutMs: 10_000, message: 'PostgreSQL to stop' });

    const second = await start('second');
    assert.match(second.log(), new RegExp(`data kept in ${dataDir}`));
    // Handed back uncounted, so its next start is attempt 1 again.
    await waitFor(
      async () => {
        const read = await job(second, id);
        return read.state === 'running' && read.attempts === 1;
      },
      { timeoutMs: 10_000, message: 'the handed-back job to run again on the restarted server' },
    );
    second.kill('SIGTERM');
    assert.equal((await second.waitForExit(30_000))?.code, 0, second.tail());
  });
});
