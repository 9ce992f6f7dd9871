// Slow clients and connection floods: a request trickled in (headers or body) is cut with a 408 when its
// time is up, and connections beyond the limit are closed at once. Short limits here; 60 s by default.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
let port: number;

before(async () => {
  gw = await startTestGateway({ TOKGATE_REQUEST_TIMEOUT_SECONDS: '1', TOKGATE_MAX_CONNECTIONS: '4' });
  port = Number(new URL(gw.url).port);
});
after(() => gw.close());

/** Connects, writes `head`, then one byte of `drip` every `everyMs`; resolves with what came back and when. */
function trickle(head: string, drip: string, everyMs: number): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = '';
    let i = 0;
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    const timer = setInterval(() => {
      if (i < drip.length && socket.writable) socket.write(drip[i++]!);
    }, everyMs);
    socket.on('data', (data) => {
      text += data;
    });
    const done = () => {
      clearInterval(timer);
      resolve({ text, ms: Date.now() - started });
    };
    socket.on('close', done);
    socket.on('error', () => undefined);
  });
}

test('a body sent slowly is cut with a 408 in the API’s error shape', async () => {
  const body = JSON.stringify({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'slow' }] });
  const head =
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_KEY}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const { text, ms } = await trickle(head, body, 200);
  assert.match(text, /^HTTP\/1.1 408 /);
  assert.match(text, /"code":"request_timeout"/);
  assert.ok(ms < 5_000, `cut after ${ms} ms`);
});

test('headers sent slowly are cut too', async () => {
  const { text, ms } = await trickle(
    'GET /v1/models HTTP/1.1\r\n',
    'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    200,
  );
  assert.match(text, /^HTTP\/1.1 408 /);
  assert.ok(ms < 5_000, `cut after ${ms} ms`);
});

test('connections beyond the limit are closed at once; the gateway keeps answering', async () => {
  const open: net.Socket[] = [];
  for (let i = 0; i < 4; i++) {
    open.push(
      await new Promise<net.Socket>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
      }),
    );
  }
  const extra = await new Promise<string>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    let text = '';
    socket.on('data', (data) => {
      text += data;
    });
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
  assert.equal(extra, '', 'the fifth connection gets nothing and is closed');
  for (const socket of open) socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal((await fetch(`${gw.url}/health`)).status, 200);
});
