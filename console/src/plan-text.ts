// A price plan's rules and fixed prices as the console edits them: one line each, `glob = multiplier` and
// `model = input, output[, cached input[, cache write[, 1-hour cache write]]]` (USD per million tokens).
import type { PlanPrice } from './types.js';

const PRICE_FIELDS = ['input', 'output', 'cached_input', 'cache_write', 'cache_write_1h'] as const;

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

/** A number a person typed, or undefined when it is not one. */
const number = (text: string) => {
  const value = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(value) ? value : undefined;
};

export function rulesText(multipliers: Record<string, number>): string {
  return Object.entries(multipliers)
    .map(([glob, x]) => `${glob} = ${x}`)
    .join('\n');
}

export function pricesText(prices: Record<string, PlanPrice>): string {
  return Object.entries(prices)
    .map(([model, price]) => {
      const values = PRICE_FIELDS.map((field) => price[field]);
      while (values.length > 2 && values.at(-1) === undefined) values.pop();
      return `${model} = ${values.map((v) => v ?? '').join(', ')}`;
    })
    .join('\n');
}

/** The rules typed, or the first line that is not one. */
export function parseRules(text: string): Record<string, number> | { error: string } {
  const out: Record<string, number> = {};
  for (const line of lines(text)) {
    const at = line.lastIndexOf('=');
    const value = at > 0 ? number(line.slice(at + 1)) : undefined;
    if (value === undefined) return { error: `“${line}”: write a rule as openai/* = 0.9` };
    out[line.slice(0, at).trim()] = value;
  }
  return out;
}

/** The fixed prices typed, or the first line that is not one. */
export function parsePrices(text: string): Record<string, PlanPrice> | { error: string } {
  const out: Record<string, PlanPrice> = {};
  for (const line of lines(text)) {
    const at = line.indexOf('=');
    const parts = at > 0 ? line.slice(at + 1).split(',') : [];
    const values = parts.map(number);
    if (parts.length < 2 || parts.length > PRICE_FIELDS.length || values.some((v) => v === undefined))
      return { error: `“${line}”: write a price as openai/gpt-4o = 2.5, 10 (input, output per million)` };
    const price: Record<string, number> = {};
    values.forEach((value, i) => {
      price[PRICE_FIELDS[i]!] = value!;
    });
    out[line.slice(0, at).trim()] = price as unknown as PlanPrice;
  }
  return out;
}
