// How numbers, money and times read in the console. An unknown value shows as an em dash, never as 0.

export const DASH = '—';

/** USD with enough decimals to show a fraction of a cent (LLM calls often cost less than $0.01). */
export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  const abs = Math.abs(value);
  if (abs > 0 && abs < 0.000001) return value < 0 ? '-<$0.000001' : '<$0.000001';
  return value.toLocaleString('en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: abs === 0 || abs >= 1 ? 2 : abs >= 0.01 ? 4 : 6,
  });
}

export function int(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return Math.round(value).toLocaleString('en-US');
}

/** Large counts in short form: 12.3k, 4.5M. */
export function compact(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return value.toLocaleString('en-US', { notation: 'compact', maximumFractionDigits: 1 });
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  return `${Math.round(value).toLocaleString('en-US')} ms`;
}

export function percent(part: number, whole: number): string {
  if (whole === 0) return DASH;
  const value = (part / whole) * 100;
  if (value > 0 && value < 0.1) return '<0.1%';
  return `${value < 10 && value > 0 ? value.toFixed(1) : Math.round(value)}%`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString('en-US', {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}

export function date(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const value = new Date(iso);
  if (Number.isNaN(value.getTime())) return iso;
  return value.toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric' });
}

/** 'YYYY-MM-DD' (UTC) → 'Mar 4'. */
export function shortDay(day: string): string {
  const value = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(value.getTime())) return day;
  return value.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** The UTC days from `days - 1` days ago to today, oldest first, as 'YYYY-MM-DD'. */
export function lastDays(days: number, now = new Date()): string[] {
  const out: string[] = [];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let i = days - 1; i >= 0; i--) out.push(new Date(today - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

/** The gateway's names of its front doors, as the console labels them; a door not listed reads as named. */
const DOOR_LABELS = new Map([
  ['chat completion', 'Chat completions'],
  ['messages', 'Messages'],
  ['audio', 'Audio'],
  ['images', 'Images'],
]);

/** What a request billed in a unit other than tokens (audio), as `2.5 s` or `44 characters`; else a dash. */
export function unitsLabel(units: number | null | undefined, unit: string | null | undefined): string {
  if (units === null || units === undefined || !unit) return DASH;
  const count = Number.isInteger(units) ? String(units) : units.toFixed(2);
  return unit === 'seconds' ? `${count} s of audio` : `${count} ${unit}`;
}

/** The API a request came through; null (a row from before the gateway recorded it) as a dash. */
export function doorLabel(door: string | null | undefined): string {
  if (door === null || door === undefined || door === '') return DASH;
  return DOOR_LABELS.get(door) ?? door;
}

/** Parses a number typed in a form; '' → undefined, junk → NaN (the caller reports it). */
export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return trimmed === '' ? undefined : Number(trimmed);
}
