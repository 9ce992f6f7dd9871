// Where a callgrind dump's instructions went, per request: by function (self and inclusive) and by source
// file, with V8's machine code named through the perf map node writes with `--perf-basic-prof` (callgrind
// sees JIT code only as addresses). `--instructions` prints it for this build's last window; by hand:
//   node --import tsx bench/callgrind-summary.ts <callgrind dump> <perf map> <requests in the window>
import { readFileSync } from 'node:fs';

export interface FunctionCost {
  name: string;
  /** The file its machine code is in (`/usr/bin/node`, a native addon, libc; `???` for V8's JIT code). */
  object: string;
  self: number;
  /** Self plus the calls it made (recursive calls to itself not counted twice). */
  inclusive: number;
}

/**
 * Reads a callgrind dump (compressed names and positions, one event): each function's own cost, and the
 * inclusive cost of each call it made (the cost line after a `calls=` line).
 */
export function parseCallgrind(text: string): FunctionCost[] {
  const names = new Map<string, string>();
  const objects = new Map<string, string>();
  const costs = new Map<string, FunctionCost>();
  // "(12) name" defines id 12; "(12)" refers to it; a plain name has no id. Functions and objects each
  // have their own ids.
  const compressed = (ids: Map<string, string>, spec: string) => {
    const match = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (!match) return spec;
    if (match[2] !== undefined) ids.set(match[1]!, match[2]);
    return ids.get(match[1]!) ?? spec;
  };
  const nameOf = (spec: string) => compressed(names, spec);
  let object = '???';
  let calleeObject = '???';
  const entry = (name: string, inObject: string) => {
    let cost = costs.get(name);
    if (!cost) {
      cost = { name, object: inObject, self: 0, inclusive: 0 };
      costs.set(name, cost);
    }
    return cost;
  };
  let current: FunctionCost | undefined;
  let callee: string | undefined;
  let afterCalls = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('ob=')) {
      object = compressed(objects, line.slice(3));
      calleeObject = object;
    } else if (line.startsWith('cob=')) {
      calleeObject = compressed(objects, line.slice(4));
    } else if (line.startsWith('fn=')) {
      current = entry(nameOf(line.slice(3)), object);
      calleeObject = object;
      afterCalls = false;
    } else if (line.startsWith('cfn=')) {
      callee = nameOf(line.slice(4));
      entry(callee, calleeObject);
      calleeObject = object;
    } else if (line.startsWith('calls=')) {
      afterCalls = true;
    } else if (current && /^[+\-*0-9]/.test(line)) {
      const cost = Number(line.split(' ')[1] ?? 0);
      if (afterCalls) {
        if (callee !== current.name) current.inclusive += cost;
        afterCalls = false;
      } else {
        current.self += cost;
        current.inclusive += cost;
      }
    }
  }
  return [...costs.values()];
}

interface MapEntry {
  start: number;
  end: number;
  name: string;
  order: number;
}

/** node's perf map (`START SIZE NAME` in hex, one line per piece of code, later lines newer). */
export function perfMap(text: string): (address: number) => string | undefined {
  const entries: MapEntry[] = [];
  for (const [order, line] of text.split('\n').entries()) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (!match) continue;
    const start = Number.parseInt(match[1]!, 16);
    entries.push({ start, end: start + Number.parseInt(match[2]!, 16), name: match[3]!, order });
  }
  entries.sort((a, b) => a.start - b.start || a.order - b.order);
  return (address) => {
    // The last entry starting at or before the address; of those that contain it, the newest.
    let lo = 0;
    let hi = entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid]!.start <= address) lo = mid + 1;
      else hi = mid - 1;
    }
    let found: MapEntry | undefined;
    for (let i = hi; i >= 0 && i > hi - 64; i--) {
      const e = entries[i]!;
      if (address < e.end && (!found || e.order > found.order)) found = e;
    }
    return found?.name;
  };
}

/** A JIT entry's name made readable: `JS:*handle /x/dist/server/chat.js:12:3` → `handle (server/chat.js:12)`. */
export function readableName(name: string): string {
  const js = /^(?:JS|LazyCompile|Function):[*~+^]?(\S*) (?:file:\/\/)?(\S+?)(?::(\d+))?(?::\d+)?$/.exec(name);
  if (!js) return name;
  const file = js[2]!.replace(/^.*\/(dist|node_modules)\//, (_m, dir: string) =>
    dir === 'dist' ? '' : 'node_modules/',
  );
  return `${js[1] || '(anonymous)'} (${file}${js[3] ? `:${js[3]}` : ''})`;
}

/** Where a function's code lives, for the per-file table: its source file, or what its object file is. */
export function areaOf(readable: string, object = ''): string {
  if (object.includes('better_sqlite3')) return '(SQLite, in better-sqlite3)';
  if (/\/lib(c|m)\.so|ld-linux/.test(object)) return '(libc)';
  if (/libstdc\+\+|libgcc/.test(object)) return '(C++ runtime)';
  const file = /\((node:[^():]+|[^()\s]+\.[cm]?js)(?::\d+)?\)$/.exec(readable)?.[1];
  if (file) return file.startsWith('node_modules/') ? file.split('/').slice(0, 3).join('/') : file;
  if (readable.startsWith('RegExp:')) return '(compiled regular expressions)';
  if (/^(Builtin|Builtins_|BytecodeHandler|Stub)/.test(readable)) return '(V8 builtins)';
  if (/v8::internal::(Heap|.*Mark|.*Scaveng|.*Sweep|.*GC|Evacuat|Marking)/.test(readable)) return '(V8 GC)';
  if (/v8::internal::(compiler|maglev|baseline|Compil|Optimiz|interpreter)/.test(readable))
    return '(V8 compilers)';
  if (readable.startsWith('v8::')) return '(V8 runtime)';
  if (/^uv_|^uv__/.test(readable)) return '(libuv)';
  if (readable.startsWith('node::')) return '(node C++)';
  if (/^0x[0-9a-f]+$/.test(readable)) return '(unnamed machine code)';
  return '(native, other)';
}

const perRequest = (n: number, requests: number) => Math.round(n / requests).toLocaleString('en-US');

/** The summary: the `top` functions by self and by inclusive instructions, and the files, per request. */
export function summariseCallgrind(
  dump: string,
  map: string | undefined,
  requests: number,
  top = 25,
): string {
  const lookup = map ? perfMap(map) : () => undefined;
  const merged = new Map<string, FunctionCost>();
  for (const cost of parseCallgrind(dump)) {
    const address = /^0x([0-9a-f]+)$/.exec(cost.name);
    const name = readableName((address && lookup(Number.parseInt(address[1]!, 16))) || cost.name);
    const into = merged.get(name);
    if (into) {
      into.self += cost.self;
      into.inclusive += cost.inclusive;
    } else merged.set(name, { ...cost, name });
  }
  const all = [...merged.values()];
  const total = all.reduce((sum, c) => sum + c.self, 0);
  const share = (n: number) => `${((n / total) * 100).toFixed(1)} %`;
  const byArea = new Map<string, number>();
  for (const c of all) {
    const area = areaOf(c.name, c.object);
    byArea.set(area, (byArea.get(area) ?? 0) + c.self);
  }
  /** One table: the `top` largest of `rows` ([instructions, label]), per request and as a share. */
  const table = (heading: string, what: string, rows: Array<[number, string]>) => [
    '',
    `| ${heading} | share | ${what} |`,
    '|---:|---:|---|',
    ...rows
      .sort((a, b) => b[0] - a[0])
      .slice(0, top)
      .map(([n, label]) => `| ${perRequest(n, requests)} | ${share(n)} | ${label} |`),
  ];
  const gateway = all.filter((c) => /\((?!node_modules\/|node:)[^()\s]+\.js(?::\d+)?\)$/.test(c.name));
  const lines = [
    `Instructions per request: ${perRequest(total, requests)} (${requests} requests)`,
    ...table(
      'self per request',
      'function',
      all.map((c) => [c.self, c.name]),
    ),
    ...table(
      'inclusive per request',
      'gateway function',
      gateway.map((c) => [c.inclusive, c.name]),
    ),
    ...table(
      'self per request',
      'where',
      [...byArea].map(([area, n]) => [n, area]),
    ),
  ];
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('callgrind-summary.ts')) {
  const [dump, map, requests] = process.argv.slice(2);
  if (!dump || !requests) {
    process.stderr.write('usage: callgrind-summary.ts <callgrind dump> <perf map | -> <requests>\n');
    process.exit(2);
  }
  const mapText = map && map !== '-' ? readFileSync(map, 'utf8') : undefined;
  process.stdout.write(`${summariseCallgrind(readFileSync(dump, 'utf8'), mapText, Number(requests))}\n`);
}
