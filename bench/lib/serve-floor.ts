// Child process for the benchmark: the floor. Plain node:http + pg.Pool (same size as the API's default)
// running one statement over `floor_conversations`, a plain copy of the account's list rows (the current
// summary's preview as one jsonb column; bench/lib/floor-table.ts), answering with the REST list's JSON
// shape so that the bytes on the wire are comparable. No auth, no validation, no logging: what is left is
// the unavoidable cost of HTTP + one SQL statement + JSON.
//
// `GET /v1/conversations/{id}` is the floor of the single reads: one statement by primary key over the
// real `conversations` and its current summary (as the API's own read does), answered in the API's shape
// with an empty `attachments` list (the bench's conversations have none).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v)); // as src/lib/db.ts does
const { DATABASE_URL, ACCOUNT_ID, DATABASE_POOL_SIZE = '10' } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: Number(DATABASE_POOL_SIZE) });
const perPage = 20;
const SQL = `SELECT id, title, source, status, created_at, updated_at, summary, count(*) OVER() AS total
               FROM floor_conversations WHERE account_id = $1 ORDER BY created_at DESC LIMIT ${perPage}`;

// The summary as one jsonb column, as floor_conversations holds it for the list.
const BY_ID = `SELECT c.id, c.title, c.content, c.source, c.status, c.metadata, c.created_at, c.updated_at,
                      CASE WHEN s.id IS NULL THEN NULL
                           ELSE jsonb_build_object('title', s.title, 'content', s.content, 'sentiment', s.sentiment,
                                                   'topics', to_jsonb(s.topics), 'action_items', to_jsonb(s.action_items)) END AS summary
                 FROM conversations c
                 LEFT JOIN LATERAL (SELECT * FROM summaries s WHERE s.id = c.summary_id AND s.account_id = c.account_id) s ON true
                WHERE c.account_id = $1 AND c.id = $2`;

async function byId(id: string, res: http.ServerResponse): Promise<void> {
  const [row] = (await pool.query(BY_ID, [ACCOUNT_ID, id])).rows;
  if (!row) {
    res.writeHead(404).end();
    return;
  }
  const body = JSON.stringify({ ...row, attachments: [] });
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer(async (req, res) => {
  try {
    const one = /^\/v1\/conversations\/([^/?]+)$/.exec(req.url ?? '');
    if (one) return await byId(one[1], res);
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
