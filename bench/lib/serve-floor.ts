// Child process for the benchmark: the floor. Plain node:http + pg.Pool (same size as the API's default)
// running one statement over `floor_conversations`, a plain copy of the account's list rows (the current
// summary's preview as one jsonb column; bench/lib/floor-table.ts), answering with the REST list's JSON
// shape so that the bytes on the wire are comparable. No auth, no validation, no logging: what is left is
// the unavoidable cost of HTTP + one SQL statement + JSON.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v)); // as src/lib/db.ts does
const { DATABASE_URL, ACCOUNT_ID, DATABASE_POOL_SIZE = '10' } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: Number(DATABASE_POOL_SIZE) });
const perPage = 20;
const SQL = `SELECT id, title, source, status, created_at, updated_at, summary, count(*) OVER() AS total
               FROM floor_conversations WHERE account_id = $1 ORDER BY created_at DESC LIMIT ${perPage}`;

const server = http.createServer(async (req, res) => {
  try {
    const { rows } = await pool.query(SQL, [ACCOUNT_ID]);
    const total = (rows[0]?.total as number) ?? 0;
    const totalPages = Math.ceil(total / perPage);
    const link = (p: number) => `http://${req.headers.host}/v1/conversations?page=${p}&per_page=${perPage}`;
    const body = JSON.stringify({
      data: rows.map((r) => ({
        id: r.id,
        title: r.title,
        source: r.source,
        status: r.status,
        created_at: r.created_at,
        updated_at: r.updated_at,
        summary: r.summary,
      })),
      meta: { page: 1, per_page: perPage, total, total_pages: totalPages },
      links: { first: link(1), last: link(Math.max(1, totalPages)), prev: null, next: totalPages > 1 ? link(2) : null },
    });
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } catch (e) {
    res.writeHead(500).end(String(e));
  }
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end().then(() => process.exit(0));
});
