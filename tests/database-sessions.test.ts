// The server's PostgreSQL sessions (src/lib/db.ts): JIT compilation is off on every connection of the
// pool, for plain queries and for Prisma's, whatever the server's default (issue 14: compiling the
// search statement took 10–150 ms of statements that run in 2–40 ms; docs/search.md).
import { describe, expect, inject, it } from 'vitest';
import { openPostgres } from '../src/lib/db.js';
import { createLogger } from '../src/lib/logger.js';

describe('PostgreSQL sessions', () => {
  it('run with jit = off on every pooled connection, for raw queries and Prisma transactions', async () => {
    const db = openPostgres(inject('databaseUrl'), 3, createLogger('silent'));
    try {
      // Three at once: each takes its own new connection.
      const raw = await Promise.all(
        [1, 2, 3].map(() =>
          db.query<{ jit: string; pid: number }>(`SELECT current_setting('jit') AS jit, pg_backend_pid() AS pid, pg_sleep(0.05)`),
        ),
      );
      expect(new Set(raw.map((r) => r[0].pid)).size).toBe(3);
      expect(raw.map((r) => r[0].jit)).toEqual(['off', 'off', 'off']);
      const viaPrisma = await db.prisma.$transaction(async (tx) =>
        tx.$queryRawUnsafe<{ jit: string }[]>(`SELECT current_setting('jit') AS jit`),
      );
      expect(viaPrisma[0].jit).toBe('off');
    } finally {
      await db.close();
    }
  });
});
