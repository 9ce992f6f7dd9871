// The databases every store-backed suite runs against: SQLite (in memory) and PostgreSQL (a fresh database
// per suite on the machine's server at 127.0.0.1:5432, dropped afterwards).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_ADMIN_URL =
  process.env.TOKGATE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `tokgate_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(`drop database if exists ${name} with (force)`),
  };
}

export const DATABASES: Array<{ name: string; create(): Promise<TestDatabase> }> = [
  { name: 'sqlite', create: async () => ({ url: 'sqlite::memory:', drop: async () => undefined }) },
  { name: 'postgres', create: createPostgresDatabase },
];
