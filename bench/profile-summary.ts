// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the top functions by self time, self time grouped by
// file and by package, and time attributed to the nearest gateway frame (our code plus the library and
// runtime work it calls directly), and the call paths leading to the hottest functions.
//   node --import tsx bench/profile-summary.ts <file.cpuprofile> [--top=25] [--app=/dist/] [--since-ms=N]
// --since-ms skips the first N ms of the profile (start-up and warm-up).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function shortFile(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  const dist = path.lastIndexOf('/dist/');
  if (dist >= 0) return path.slice(dist + 1);
  return path;
}

function packageOf(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node: core';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (path.includes('/dist/')) return 'tokgate (dist/)';
  return path;
}

function label(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  return frame.url ? `${name}  ${shortFile(frame.url)}:${frame.lineNumber + 1}` : name;
}

interface Row {
  key: string;
  ms: number;
}

function top(map: Map<string, number>, n: number): Row[] {
  return [...map.entries()]
    .map(([key, ms]) => ({ key, ms }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n);
}

const add = <K>(map: Map<K, number>, key: K, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);

export interface SummaryOptions {
  top?: number;
  /** A path fragment that marks the gateway's own code. */
  app?: string;
  /** Ignore samples taken in the first `sinceMs` of the profile. */
  sinceMs?: number;
}

export function summarise(profile: CpuProfile, options: SummaryOptions = {}): string {
  const n = options.top ?? 25;
  const app = options.app ?? '/dist/';
  const sinceUs = (options.sinceMs ?? 0) * 1000;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // Sample i lasted until sample i+1 (timeDeltas are µs between samples).
  const selfUs = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  let at = 0;
  let counted = 0;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    if (at < sinceUs) continue;
    counted++;
    add(selfUs, samples[i]!, timeDeltas[i + 1] ?? 0);
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idleNames = new Set(['(idle)', '(program)', '(root)']);
  let idle = 0;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const byAppFrame = new Map<string, number>();
  const paths = new Map<string, Map<string, number>>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const ms = us / 1000;
    const frame = node.callFrame;
    if (idleNames.has(frame.functionName)) {
      if (frame.functionName === '(idle)') idle += ms;
    }
    add(byFunction, label(frame), ms);
    add(byFile, frame.url ? shortFile(frame.url) : frame.functionName || '(native)', ms);
    add(byPackage, frame.url ? packageOf(frame.url) : frame.functionName || '(native / V8)', ms);
    // Walk up to the nearest frame of our own code.
    let cursor: ProfileNode | undefined = node;
    while (cursor && !cursor.callFrame.url.includes(app)) {
      const up = parent.get(cursor.id);
      cursor = up === undefined ? undefined : byId.get(up);
    }
    add(byAppFrame, cursor ? label(cursor.callFrame) : '(no gateway frame on the stack)', ms);
    // The nearest four library or gateway frames above this one (Node's internals skipped), to tell who
    // calls a hot runtime function such as writev.
    const callers: string[] = [];
    for (let up = parent.get(node.id); up !== undefined && callers.length < 4; up = parent.get(up)) {
      const caller = byId.get(up)?.callFrame;
      if (!caller || caller.functionName === '(root)') break;
      if (!caller.url || caller.url.startsWith('node:')) continue;
      callers.push(
        `${caller.functionName || '(anonymous)'} (${shortFile(caller.url)}:${caller.lineNumber + 1})`,
      );
    }
    const fn = label(frame);
    let byPath = paths.get(fn);
    if (!byPath) {
      byPath = new Map();
      paths.set(fn, byPath);
    }
    add(byPath, callers.join(' ← ') || '(top level)', ms);
  }
  const totalMs = total / 1000;
  const busy = totalMs - idle;
  const fmt = (rows: Row[]) =>
    rows
      .map(
        (r) =>
          `${r.ms.toFixed(0).padStart(8)} ms ${((r.ms / totalMs) * 100).toFixed(1).padStart(5)} %  ${((r.ms / busy) * 100).toFixed(1).padStart(5)} %busy  ${r.key}`,
      )
      .join('\n');
  return [
    `Profile: ${totalMs.toFixed(0)} ms sampled${sinceUs ? ` after the first ${options.sinceMs} ms` : ''}, ${idle.toFixed(0)} ms idle, ${busy.toFixed(0)} ms busy (${counted} samples)`,
    '',
    `Top ${n} functions by self time:`,
    fmt(top(byFunction, n)),
    '',
    'Self time by file:',
    fmt(top(byFile, n)),
    '',
    'Self time by package:',
    fmt(top(byPackage, 15)),
    '',
    `Time under the nearest gateway frame (${app}; includes the library and runtime work it calls):`,
    fmt(top(byAppFrame, n)),
    '',
    'Who calls the 8 hottest functions (top 3 call paths each, nearest caller first):',
    ...top(byFunction, 8).flatMap((r) => [
      `  ${r.key}`,
      ...top(paths.get(r.key) ?? new Map(), 3).map((p) => `    ${p.ms.toFixed(0).padStart(7)} ms  ${p.key}`),
    ]),
  ].join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, app: { type: 'string' }, 'since-ms': { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) {
    process.stderr.write('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [--top=25]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(
    `${summarise(profile, {
      top: Number(values.top ?? 25),
      sinceMs: Number(values['since-ms'] ?? 0),
      ...(values.app ? { app: values.app } : {}),
    })}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
