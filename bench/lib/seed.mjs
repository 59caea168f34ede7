/**
 * The bulk loader for tests, demos and scale checks: fills a schema's jobs table with `rows` jobs in
 * one server-side `generate_series` per million rows (no row crosses the network), shaped like a
 * busy installation's 30 days: 93 % completed, 2 % dead letters (45 error groups), 1 % waiting to
 * retry, 2 % delayed, 1 % pending, 1 % canceled, over 5 queues and 9 types, ids in creation order.
 *
 * The table's secondary indexes are dropped first and rebuilt after (from their own definitions in
 * the catalog), the way a restore loads a table. The table is then left as a restore leaves it: no
 * planner statistics, no vacuum (`analyze: false`), or vacuumed and analyzed (`analyze: true`).
 */

/** The job of series number `g` (1 .. n), `n` jobs spread over the last 30 days. */
const JOB_OF = `
  SELECT 'q' || (g % 5) AS queue, 't' || (g % 9) AS type,
    jsonb_build_object('order', g, 'customer', 'c' || (g % 10000), 'region', 'r' || (g % 7)) AS payload,
    CASE WHEN h < 930 THEN 'completed' WHEN h < 950 THEN 'failed' WHEN h < 960 THEN 'scheduled'
         WHEN h < 980 THEN 'scheduled' WHEN h < 990 THEN 'pending' ELSE 'canceled' END AS state,
    h, g, at FROM (
      SELECT g, abs(hashint4(g::int)) % 1000 AS h,
        now() - ($2::bigint - g) * (2592000.0 / $2::bigint) * interval '1 second' AS at
      FROM generate_series($1::bigint, $3::bigint) g) s`;

const INSERT = (jobs) => `
  INSERT INTO ${jobs} (queue, type, payload, state, attempts, max_attempts, run_at, created_at, updated_at,
    started_at, finished_at, last_error)
  SELECT queue, type, payload, state,
    CASE WHEN h BETWEEN 950 AND 959 THEN 1 WHEN state IN ('pending', 'scheduled') THEN 0 WHEN state = 'failed' THEN 5 ELSE 1 END,
    5,
    CASE WHEN h BETWEEN 950 AND 959 THEN now() + (g % 3600) * interval '1 second'
         WHEN state = 'scheduled' THEN now() + (g % 2592000) * interval '1 second' ELSE at END,
    at, at,
    CASE WHEN state IN ('completed', 'failed') THEN at END,
    CASE WHEN state IN ('completed', 'failed', 'canceled') THEN at + interval '2 seconds' END,
    CASE WHEN state = 'failed' OR h BETWEEN 950 AND 959
         THEN 'Error: upstream ' || (g % 5) || ' refused' || E'\\n    at handler (t.js:' || (g % 9) || ')' END
  FROM (${JOB_OF}) j`;

/**
 * Loads `rows` jobs into `"<schema>".jobs` through `client` (a `pg` Client or PoolClient), calling
 * `progress(message)` along the way. Returns the time each phase took, in ms.
 */
export async function seedJobs(client, schema, rows, { analyze = false, progress = () => {} } = {}) {
  const jobs = `"${schema}".jobs`;
  const { rows: indexes } = await client.query(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes
     WHERE schemaname = $1 AND tablename = 'jobs' AND indexname <> 'jobs_pkey'`,
    [schema],
  );
  // One transaction: a load that fails leaves the table (and its indexes) as they were.
  await client.query('BEGIN');
  let inserted, indexed;
  const started = Date.now();
  try {
    await client.query(`SET LOCAL maintenance_work_mem = '512MB'`);
    await client.query(`SET LOCAL synchronous_commit = off`);
    for (const ix of indexes) await client.query(`DROP INDEX "${schema}"."${ix.name}"`);
    const CHUNK = 1_000_000;
    for (let first = 1; first <= rows; first += CHUNK) {
      const last = Math.min(rows, first + CHUNK - 1);
      await client.query(INSERT(jobs), [first, rows, last]);
      progress(`inserted ${last.toLocaleString('en')} of ${rows.toLocaleString('en')} jobs`);
    }
    inserted = Date.now();
    for (const ix of indexes) {
      await client.query(ix.def);
      progress(`rebuilt ${ix.name}`);
    }
    await client.query('COMMIT');
    indexed = Date.now();
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
  if (analyze) await client.query(`VACUUM (ANALYZE) ${jobs}`);
  return { insertMs: inserted - started, indexMs: indexed - inserted, analyzeMs: Date.now() - indexed };
}
