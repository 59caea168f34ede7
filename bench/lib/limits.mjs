// What PostgreSQL itself allows on this machine (../shared/bench/limits): pgbench runs the least SQL
// a durable queue must run per job, no application in the loop. The denominators of "fraction of
// the database limit".
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

function psql(url, sql) {
  return execFileSync('psql', ['-qtA', url, '-c', sql], { encoding: 'utf8' }).trim();
}

/** Runs each probe for `seconds`; returns jobs/s per probe (null where the probe is missing). `quick`
 * skips the batch-1000 claim probe and preloads less. */
export function probeLimits(root, url, seconds, log, quick = false) {
  const dir = process.env.LIMITS_SRC || path.resolve(root, '..', 'shared', 'bench', 'limits');
  if (!existsSync(path.join(dir, 'schema.sql'))) {
    log(`no limits probe at ${dir} (set LIMITS_SRC): skipped`);
    return null;
  }
  const reset = () => execFileSync('psql', ['-q', url, '-f', path.join(dir, 'schema.sql')], { stdio: 'ignore' });
  const bench = (file, clients, batch, count) => {
    const before = Number(psql(url, `SELECT ${count}`));
    execFileSync(
      'pgbench',
      [
        '-n',
        '-c',
        String(clients),
        '-j',
        '2',
        '-T',
        String(seconds),
        '-D',
        `batch=${batch}`,
        '-f',
        path.join(dir, file),
        url,
      ],
      {
        stdio: 'ignore',
      },
    );
    return Math.round((Number(psql(url, `SELECT ${count}`)) - before) / seconds);
  };
  const out = {};
  reset();
  out.insert_one_16 = bench('insert_one.sql', 16, 1, 'count(*) FROM limits.jobs');
  reset();
  out.insert_many_1000 = bench('insert_many.sql', 4, 1000, 'count(*) FROM limits.jobs');
  for (const batch of quick ? [100] : [100, 1000]) {
    reset();
    const preload = quick ? 250_000 : 600_000;
    psql(
      url,
      `INSERT INTO limits.jobs (payload) SELECT jsonb_build_object('i', g) FROM generate_series(1, ${preload}) g`,
    );
    psql(url, 'ANALYZE limits.jobs');
    out[`claim_complete_${batch}`] = bench('claim_complete.sql', 4, batch, 'count(*) FROM limits.jobs WHERE state = 2');
  }
  psql(url, 'DROP SCHEMA IF EXISTS limits CASCADE');
  log(`database limits (${seconds} s each): ${JSON.stringify(out)}`);
  return out;
}
