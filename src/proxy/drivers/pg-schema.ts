/** Tables a PostgreSQL-backed store needs, created once per pool, and again after a failed attempt. */
import type * as Pg from 'pg'

/**
 * Returns ready(): resolves once `sql` (idempotent DDL) has run on the pool. Proxies starting together serialise it
 * on an advisory lock (`lock`), since concurrent CREATE ... IF NOT EXISTS can still collide in the catalog.
 */
export function schemaOnce(pool: Pg.Pool, lock: number, sql: string): () => Promise<void> {
  let schema: Promise<void> | undefined
  return () => {
    schema ??= (async () => {
      const client = await pool.connect()
      try {
        await client.query('SELECT pg_advisory_lock($1)', [lock])
        try {
          await client.query(sql)
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [lock])
        }
      } finally {
        client.release()
      }
    })().catch((err: unknown) => {
      schema = undefined
      throw err
    })
    return schema
  }
}
