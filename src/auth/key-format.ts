// API key format: `sk-tg-<id>-<secret>`. The id (12 base62 characters) names the key in logs, URLs and the
// database without revealing it; the secret (32 base62 characters, ~190 bits) is never stored, only the
// SHA-256 of the whole key. A fast hash is right here: the secret is random, not a password.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const KEY_PATTERN = /^sk-tg-([A-Za-z0-9]{12})-[A-Za-z0-9]{32}$/;

export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Reject bytes ≥ 248 so every character is equally likely.
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function generateKey(): { id: string; key: string } {
  const id = randomBase62(12);
  return { id, key: `sk-tg-${id}-${randomBase62(32)}` };
}

/** The key's public id, or undefined when the string is not shaped like a tokgate key. */
export function keyIdOf(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The token of an `Authorization: Bearer <token>` header ('' for none); the scheme is case-insensitive (RFC 7235). */
export function bearerToken(authorization: string | undefined): string {
  return authorization !== undefined && /^bearer /i.test(authorization) ? authorization.slice(7).trim() : '';
}

/** Constant-time comparison of two hex digests. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** What a key looks like in listings: enough to recognise, nothing to use. */
export const keyPreview = (id: string) => `sk-tg-${id}-****`;
