// Reading how long an upstream asks to be left alone: Retry-After in its forms, and each vendor family's
// window resets (only the windows reported used up count).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration, upstreamWaitMs } from '../../src/providers/rate-limit-headers.js';

const NOW = Date.parse('2026-12-07T05:00:00Z');

describe('parseDuration (Go durations, as OpenAI and Groq write resets)', () => {
  test('the forms the references show, and a bare number as seconds', () => {
    assert.equal(parseDuration('6m0s'), 360_000);
    assert.equal(parseDuration('1s'), 1_000);
    assert.equal(parseDuration('12ms'), 12);
    assert.equal(parseDuration('2m59.56s'), 179_560);
    assert.equal(parseDuration('7.66s'), 7_660);
    assert.equal(parseDuration('1h0m0s'), 3_600_000);
    assert.equal(parseDuration('37'), 37_000);
  });

  test('anything else is unreadable', () => {
    for (const bad of ['', 'soon', '5 s', '1x', '-1s', 's']) assert.equal(parseDuration(bad), undefined, bad);
  });
});

describe('upstreamWaitMs', () => {
  test('retry-after-ms first, then retry-after in seconds (fractional) or as an HTTP date', () => {
    assert.equal(upstreamWaitMs({ 'retry-after-ms': '1500.4', 'retry-after': '9' }, NOW), 1_501);
    assert.equal(upstreamWaitMs({ 'retry-after': '2.5' }, NOW), 2_500);
    assert.equal(upstreamWaitMs({ 'retry-after': 'Mon, 07 Dec 2026 05:00:30 GMT' }, NOW), 30_000);
    assert.equal(upstreamWaitMs({ 'retry-after': 'Mon, 07 Dec 2026 04:59:00 GMT' }, NOW), 0);
    assert.equal(upstreamWaitMs({ 'retry-after': 'whenever' }, NOW), undefined);
    assert.equal(upstreamWaitMs({}, NOW), undefined);
  });

  test('Retry-After wins over the windows', () => {
    const headers = {
      'retry-after': '3',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '7.66s',
    };
    assert.equal(upstreamWaitMs(headers, NOW), 3_000);
  });

  test('only exhausted windows count; of several, the latest reset', () => {
    const openai = {
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-tokens': '6m0s',
    };
    assert.equal(upstreamWaitMs(openai, NOW), 1_000);
    assert.equal(upstreamWaitMs({ ...openai, 'x-ratelimit-remaining-tokens': '0' }, NOW), 360_000);
    assert.equal(upstreamWaitMs({ ...openai, 'x-ratelimit-remaining-requests': '3' }, NOW), undefined);
  });

  test("Anthropic's RFC 3339 instants, Cerebras's fractional seconds", () => {
    assert.equal(
      upstreamWaitMs(
        {
          'anthropic-ratelimit-output-tokens-remaining': '0',
          'anthropic-ratelimit-output-tokens-reset': '2026-12-07T05:00:42Z',
          'anthropic-ratelimit-requests-remaining': '10',
          'anthropic-ratelimit-requests-reset': '2026-12-07T05:00:59Z',
        },
        NOW,
      ),
      42_000,
    );
    assert.equal(
      upstreamWaitMs(
        {
          'x-ratelimit-remaining-requests-day': '0',
          'x-ratelimit-reset-requests-day': '33011.382867097855',
          'x-ratelimit-remaining-tokens-minute': '0',
          'x-ratelimit-reset-tokens-minute': '11.382867097854614',
        },
        NOW,
      ),
      33_011_383,
    );
  });

  test("Together's x-ratelimit-reset: seconds, or an epoch instant (seconds or milliseconds) when that large", () => {
    const exhausted = (reset: string) =>
      upstreamWaitMs(
        { 'x-tokenlimit-remaining': '0', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset': reset },
        NOW,
      );
    assert.equal(exhausted('2'), 2_000);
    assert.equal(exhausted(String(NOW / 1000 + 9)), 9_000);
    assert.equal(exhausted(String(NOW + 1_500)), 1_500);
    assert.equal(
      upstreamWaitMs(
        { 'x-tokenlimit-remaining': '10', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset': '2' },
        NOW,
      ),
      undefined,
    );
  });

  test('an unreadable reset is ignored', () => {
    assert.equal(
      upstreamWaitMs({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': 'later' }, NOW),
      undefined,
    );
  });
});
