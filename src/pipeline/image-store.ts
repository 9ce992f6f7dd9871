// Where generated images wait for their URL to be fetched, when the upstream gave bytes and the client asked
// for `response_format: url`: a folder (the data folder by default; async file system calls only) or an
// S3-compatible bucket for fleets (providers/object-store.ts). Each image gets a signed, expiring path,
// `/v1/files/images/<name>?expires=<unix seconds>&sig=<HMAC-SHA256>`, that works only until it expires.
// The name carries its expiry, so expired files are swept by their names alone.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStore } from '../providers/object-store.js';

/** Where the bytes are kept: the local folder or a bucket. */
export interface ImageBackend {
  put(name: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The bytes, or undefined when there is no such image (any more). */
  get(name: string): Promise<Buffer | undefined>;
  /** Deletes images whose expiry (seconds) is before `nowSeconds`; returns how many. */
  sweep(nowSeconds: number): Promise<number>;
}

/** `<expires>-<32 hex>.<ext>`: all a name may be (anything else is refused before the disk is touched). */
const NAME = /^(\d{1,12})-[0-9a-f]{32}\.(png|jpeg|webp)$/;

export const IMAGE_EXTENSIONS: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

const expiryOf = (name: string): number | undefined => {
  const match = NAME.exec(name);
  return match ? Number(match[1]) : undefined;
};

export class FolderImages implements ImageBackend {
  private made: Promise<unknown> | undefined;

  constructor(private readonly dir: string) {}

  async put(name: string, bytes: Buffer): Promise<void> {
    this.made ??= mkdir(this.dir, { recursive: true });
    await this.made;
    await writeFile(join(this.dir, name), bytes);
  }

  async get(name: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async sweep(nowSeconds: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    let swept = 0;
    for (const name of names) {
      const expires = expiryOf(name);
      if (expires === undefined || expires >= nowSeconds) continue;
      await rm(join(this.dir, name), { force: true });
      swept++;
    }
    return swept;
  }
}

/** A bucket: expired objects are refused by their signature and left to the bucket's lifecycle rule. */
export class BucketImages implements ImageBackend {
  constructor(private readonly bucket: ObjectStore) {}

  put(name: string, bytes: Buffer, contentType: string): Promise<void> {
    return this.bucket.put(name, bytes, contentType);
  }

  get(name: string): Promise<Buffer | undefined> {
    return this.bucket.get(name);
  }

  async sweep(): Promise<number> {
    return 0;
  }
}

export type ImageCheck = { ok: true } | { ok: false; why: 'unknown' | 'expired' };

export class ImageStore {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly backend: ImageBackend,
    private readonly secret: Buffer,
    /** How long a URL works, seconds. */
    readonly ttlSeconds: number,
    /** Milliseconds since the epoch (injectable: tests move time instead of waiting). */
    private readonly now: () => number = Date.now,
  ) {}

  private signature(name: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${name}\n${expires}`).digest('base64url');
  }

  /** Keeps the bytes; returns the signed path (with its query) that serves them until it expires. */
  async keep(bytes: Buffer, extension: string): Promise<string> {
    const type = IMAGE_EXTENSIONS[extension] ?? IMAGE_EXTENSIONS.png!;
    const ext = IMAGE_EXTENSIONS[extension] ? extension : 'png';
    const expires = Math.ceil(this.now() / 1000 + this.ttlSeconds);
    const name = `${expires}-${randomBytes(16).toString('hex')}.${ext}`;
    await this.backend.put(name, bytes, type);
    return `/v1/files/images/${name}?expires=${expires}&sig=${this.signature(name, expires)}`;
  }

  /** Whether a URL's name, expiry and signature are this store's, and it has not expired. */
  check(name: string, expires: unknown, sig: unknown): ImageCheck {
    const named = expiryOf(name);
    if (named === undefined || typeof expires !== 'string' || typeof sig !== 'string')
      return { ok: false, why: 'unknown' };
    if (String(named) !== expires) return { ok: false, why: 'unknown' };
    const expected = Buffer.from(this.signature(name, named));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return { ok: false, why: 'unknown' };
    if (this.now() / 1000 > named) return { ok: false, why: 'expired' };
    return { ok: true };
  }

  read(name: string): Promise<Buffer | undefined> {
    return this.backend.get(name);
  }

  /** Deletes every expired image now. */
  sweep(): Promise<number> {
    return this.backend.sweep(this.now() / 1000);
  }

  /** Sweeps every `intervalMs` in the background (the timer never keeps the process alive). */
  startSweeping(intervalMs: number, onError: (error: unknown) => void): void {
    this.timer = setInterval(() => {
      this.sweep().catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export const mediaTypeOf = (name: string) => IMAGE_EXTENSIONS[name.slice(name.lastIndexOf('.') + 1)];
