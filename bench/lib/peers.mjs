// The peer harness (pg-boss, graphile-worker, BullMQ; ../shared/bench/peers by default): a private
// copy outside the repository with its pinned dependencies installed once.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export function peersSource(root) {
  return process.env.PEERS_SRC || path.resolve(root, '..', 'shared', 'bench', 'peers');
}

/** Copies the harness to PEERS_DIR (default ~/.cache/nest-jobs-bench/peers) and installs its pinned
 * dependencies when the lock file changed; returns the directory. */
export function preparePeers(root, log) {
  const src = peersSource(root);
  if (!existsSync(path.join(src, 'run.mjs'))) throw new Error(`no peer harness at ${src} (set PEERS_SRC)`);
  const dir =
    process.env.PEERS_DIR ||
    path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'nest-jobs-bench', 'peers');
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (name !== 'node_modules') rmSync(path.join(dir, name), { recursive: true });
  cpSync(src, dir, { recursive: true });
  const lockSum = createHash('sha256')
    .update(readFileSync(path.join(dir, 'package-lock.json')))
    .digest('hex');
  const stamp = path.join(dir, 'node_modules', '.bench-lock-sha256');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockSum) {
    log(`installing the harness's pinned dependencies in ${dir}`);
    try {
      execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      // npm 11 refuses this lock file (it lacks non-Linux optional entries): keep its versions.
      execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore' });
    }
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const [name, version] of Object.entries(pkg.dependencies)) {
      const got = JSON.parse(readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
      if (got !== version) throw new Error(`harness pins ${name}@${version}, installed ${got}`);
    }
    writeFileSync(stamp, lockSum);
  }
  return dir;
}
