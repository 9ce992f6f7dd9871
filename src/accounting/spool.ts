// The ledger's write-ahead spool: every row is appended to a local file before the client gets its answer,
// and the file is deleted once all its rows are in the database (the active file once it also holds
// `rotateAtRows` rows, or at shutdown). Appends are group-committed: one asynchronous write at a time per
// file carries every row queued meanwhile, so the event loop never waits on the disk and a busy gateway
// makes few system calls. Files are opened, closed and deleted asynchronously too (at shutdown, at once).
// A process killed with SIGKILL, or a database that is down, loses no answered request: the next start
// replays what is left (rows the database has already are skipped).
//
// A write that returned is in the kernel's page cache, so it survives the process (not a power cut: no
// fsync per row). Files are segments of at most `maxSegmentRows` rows, named
// `<host>~<pid>~<start>~<seq>.jsonl` in a directory per database (see Ledger), so a process only replays
// files left by dead processes of its own host, never another live replica's, and never into another
// database. Each replica should have its own spool directory (a volume per replica).
import {
  appendFileSync,
  close,
  closeSync,
  mkdirSync,
  open,
  readdirSync,
  readFileSync,
  rm,
  rmdirSync,
  rmSync,
  write,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RequestRow } from '../store/store.js';

export interface Segment {
  readonly path: string;
  fd: number | undefined;
  /** The file is being opened: rows queue until it is. */
  opening: boolean;
  rows: number;
  /** Rows appended and not yet written to the database. */
  outstanding: number;
  /** Ids of rows dropped from memory (database down too long): they are read back from the file. */
  dropped: Set<string>;
  /** Lines waiting for the next write, and the promise that settles when that write has landed. */
  queued: string[];
  batch: Batch | undefined;
  /** A write is in flight or scheduled for the end of this event-loop turn. */
  writing: boolean;
  /** Sealed while a write was in flight: closed once the queue drains. */
  sealing: boolean;
}

/** One write's worth of rows: they all become durable together. */
interface Batch {
  durable: Promise<void>;
  settle: (error: Error | null) => void;
}

function newBatch(): Batch {
  let settle!: (error: Error | null) => void;
  const durable = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  // Waiters attach their own handlers; an unobserved failure must not crash the process.
  durable.catch(() => undefined);
  return { durable, settle };
}

/** A file name's owner, to tell a dead process's segments from a live one's. */
function ownerOf(name: string): { host: string; pid: number } | undefined {
  const [host, pid] = name.split('~');
  const n = Number(pid);
  return host !== undefined && Number.isInteger(n) ? { host, pid: n } : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where rows go that neither the ledger nor its dead-letter table would take (see `deadLetter`). */
export const DEAD_LETTERS = 'dead-letters.ndjson';

/** Host names may hold characters we use as separators. */
const HOST = hostname().replace(/[^\w.-]/g, '_');

export class Spool {
  private active: Segment | undefined;
  private readonly segments = new Set<Segment>();
  /** Files of finished segments being deleted in the background. */
  private readonly removing = new Set<string>();
  private seq = 0;
  private readonly started = Date.now();

  constructor(
    readonly dir: string,
    private readonly maxSegmentRows = 10_000,
    /**
     * A fully written active segment is deleted (and the next row starts a new file) once it holds this
     * many rows: files stay small while all is well, and a busy gateway does not open, close and delete a
     * file after every ledger batch (SQLite's are 64 rows: dozens of files a second, each four system calls
     * through the thread pool). A crash replays at most this many rows already written; they are skipped.
     */
    private readonly rotateAtRows = 1_000,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /**
   * Appends one row; returns its segment and a promise that settles once the row is in the file (the page
   * cache: it survives the process, not a power cut), or rejects when the file cannot be opened or written.
   */
  append(row: RequestRow): { segment: Segment; durable: Promise<void> } {
    const target = this.active ?? this.openSegment();
    target.queued.push(`${JSON.stringify(row)}\n`);
    target.batch ??= newBatch();
    const { durable } = target.batch;
    if (!target.writing) {
      // Group commit: every row appended during this event-loop turn goes out in one write.
      target.writing = true;
      setImmediate(() => this.drain(target));
    }
    target.rows += 1;
    target.outstanding += 1;
    if (target.rows >= this.maxSegmentRows) this.seal(target);
    return { segment: target, durable };
  }

  /** A new active segment; its file opens in the background while the first rows queue. */
  private openSegment(): Segment {
    this.seq += 1;
    const segment: Segment = {
      path: join(this.dir, `${HOST}~${process.pid}~${this.started}~${this.seq}.jsonl`),
      fd: undefined,
      opening: true,
      rows: 0,
      outstanding: 0,
      dropped: new Set(),
      queued: [],
      batch: undefined,
      writing: false,
      sealing: false,
    };
    this.active = segment;
    this.segments.add(segment);
    open(segment.path, 'a', (error, fd) => {
      segment.opening = false;
      if (error) {
        // The rows queued here fail (the ledger keeps them in memory); the next row tries a new file.
        if (this.active === segment) this.active = undefined;
        const batch = segment.batch;
        segment.queued = [];
        segment.batch = undefined;
        segment.writing = false;
        segment.sealing = false;
        batch?.settle(error);
        this.release(segment);
        return;
      }
      segment.fd = fd;
      if (segment.writing) this.drain(segment);
      else if (segment.sealing) this.closeSegment(segment);
    });
    return segment;
  }

  /** Writes everything queued for a segment in one call; repeats while more was queued meanwhile. */
  private drain(segment: Segment): void {
    if (segment.opening) return; // the open's callback drains
    if (segment.queued.length === 0 || segment.fd === undefined) {
      segment.writing = false;
      if (segment.sealing) this.closeSegment(segment);
      return;
    }
    segment.writing = true;
    const text = segment.queued.join('');
    const batch = segment.batch!;
    segment.queued = [];
    segment.batch = undefined;
    write(segment.fd, text, null, 'utf8', (error) => {
      batch.settle(error);
      this.drain(segment);
    });
  }

  private seal(segment: Segment, now = false): void {
    if (this.active === segment) this.active = undefined;
    if (segment.writing || segment.opening) segment.sealing = true;
    else this.closeSegment(segment, now);
  }

  /** `now`: closed and deleted before returning (shutdown), else in the background. */
  private closeSegment(segment: Segment, now = false): void {
    segment.sealing = false;
    const fd = segment.fd;
    segment.fd = undefined;
    if (fd !== undefined) {
      if (now) closeSync(fd);
      else close(fd, () => undefined);
    }
    this.release(segment, now);
  }

  /** Deletes a sealed segment once nothing in it is waiting for the database. */
  private release(segment: Segment, now = false): void {
    if (segment.fd !== undefined || segment.opening) return;
    if (segment.outstanding > 0 || segment.dropped.size > 0) return;
    this.segments.delete(segment);
    if (now) {
      rmSync(segment.path, { force: true });
      return;
    }
    const { path } = segment;
    this.removing.add(path);
    rm(path, { force: true }, () => this.removing.delete(path));
  }

  /** `count` rows of `segment` are in the database. */
  written(segment: Segment, count: number): void {
    segment.outstanding -= count;
    // The active segment is rotated once it is fully written and big enough (see `rotateAtRows`).
    if (
      segment.outstanding === 0 &&
      segment === this.active &&
      segment.dropped.size === 0 &&
      segment.rows >= this.rotateAtRows
    )
      this.seal(segment);
    else this.release(segment);
  }

  /** A row left memory before it reached the database: it stays on disk until `replayDropped` reads it. */
  dropped(segment: Segment, id: string): void {
    segment.dropped.add(id);
    segment.outstanding -= 1;
  }

  /** Segments holding rows dropped from memory. */
  withDropped(): Segment[] {
    return [...this.segments].filter((s) => s.dropped.size > 0);
  }

  /** Reads back a segment's dropped rows (the others are in memory or already written). */
  droppedRows(segment: Segment): RequestRow[] {
    return Spool.read(segment.path).filter((row) => segment.dropped.has(row.id));
  }

  /** These dropped rows of `segment` are in the database (or set aside as dead letters). */
  droppedWritten(segment: Segment, ids: Iterable<string>): void {
    for (const id of ids) segment.dropped.delete(id);
    if (segment.dropped.size > 0) return;
    if (segment === this.active) this.seal(segment);
    else this.release(segment);
  }

  /**
   * Keeps a row the database refused, and could not even set aside, in `dead-letters.ndjson` beside the
   * segments (never replayed: not a segment's name). Synchronous: it is rare, and must land before its
   * segment may be deleted. Throws when the disk refuses.
   */
  deadLetter(record: unknown): string {
    const path = join(this.dir, DEAD_LETTERS);
    appendFileSync(path, `${JSON.stringify(record)}\n`);
    return path;
  }

  /** Files left by dead processes of this host: to replay, then `remove`. */
  orphans(): string[] {
    return readdirSync(this.dir)
      .filter((name) => {
        if (!name.endsWith('.jsonl')) return false;
        const owner = ownerOf(name);
        if (!owner || owner.host !== HOST) return false;
        if (owner.pid === process.pid)
          return (
            ![...this.segments].some((s) => s.path.endsWith(name)) && !this.removing.has(join(this.dir, name))
          );
        return !alive(owner.pid);
      })
      .map((name) => join(this.dir, name));
  }

  /**
   * A segment's rows. A torn last line (the process died mid-write, before answering) is skipped, and so is
   * a line that is not a row at all. Rows are read as written: the ledger makes them storable again.
   */
  static read(path: string): RequestRow[] {
    const rows: RequestRow[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue; // torn write
      }
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        typeof (parsed as { id?: unknown }).id === 'string'
      )
        rows.push(parsed as RequestRow);
    }
    return rows;
  }

  static remove(path: string): void {
    rmSync(path, { force: true });
  }

  /** Rows on disk that are not in the database yet. */
  get pending(): number {
    let n = 0;
    for (const s of this.segments) n += s.outstanding + s.dropped.size;
    return n;
  }

  /** Closes the active file; segments with rows still to write stay on disk for the next start. */
  close(): void {
    if (this.active) this.seal(this.active, true);
    // Deletions still under way finish now, so an empty directory can go.
    for (const path of this.removing) rmSync(path, { force: true });
    // Nothing left on disk: leave no empty directory behind (a non-empty one stays, for the next start).
    if (this.segments.size > 0) return;
    try {
      rmdirSync(this.dir);
    } catch {
      // not empty (another process's files) or already gone
    }
  }
}
