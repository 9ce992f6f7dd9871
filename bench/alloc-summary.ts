// Summarises a sampling heap profile (bench/alloc-profile.mjs, `--profile --alloc-profile`): bytes allocated
// per request by the function that allocated them (self), and under each gateway function (inclusive: what it
// and everything it called allocated). Sampled, so small sites are estimates; the totals are close.
import { readFileSync } from 'node:fs';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

export interface HeapProfile {
  head: HeapNode;
}

const label = (node: HeapNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/.*\/(node_modules|dist)\//, '$1/');
  return `${functionName || '(anonymous)'}${where ? `  ${where}:${lineNumber + 1}` : ''}`;
};

export function summariseAllocations(profile: HeapProfile, requests: number, top = 25): string {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  // Depth first with the labels on the path, so a recursive function is counted once per sample.
  const walk = (node: HeapNode, path: Set<string>): number => {
    const name = label(node);
    total += node.selfSize;
    self.set(name, (self.get(name) ?? 0) + node.selfSize);
    const inner = new Set(path).add(name);
    let size = node.selfSize;
    for (const child of node.children) size += walk(child, inner);
    if (!path.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + size);
    return size;
  };
  walk(profile.head, new Set());
  const perRequest = (bytes: number) => `${Math.round(bytes / Math.max(1, requests))}`.padStart(8);
  const rows = (map: Map<string, number>, keep: (name: string) => boolean) =>
    [...map]
      .filter(([name, bytes]) => bytes > 0 && keep(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, bytes]) => `${perRequest(bytes)} B/req  ${name}`)
      .join('\n');
  return [
    `Allocated: ${(total / 1048576).toFixed(1)} MB sampled over ${requests} requests, ${perRequest(total).trim()} B per request`,
    '',
    `Top ${top} allocation sites by self size:`,
    rows(self, () => true),
    '',
    `Top ${top} gateway functions by what they and their callees allocated:`,
    rows(inclusive, (name) => name.includes('dist/')),
  ].join('\n');
}

// By hand: node --import tsx bench/alloc-summary.ts <file.heapprofile> <requests>
if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, requests] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node --import tsx bench/alloc-summary.ts <file.heapprofile> [requests]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as HeapProfile;
  process.stdout.write(`${summariseAllocations(profile, Number(requests ?? 1))}\n`);
}
