// Raw bytes to a server and what it writes back before closing: for malformed HTTP, which no client sends.
import net from 'node:net';

export function rawExchange(url: string, text: string, timeoutMs = 3000): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    let out = '';
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(text));
    socket.on('data', (data) => {
      out += data;
    });
    socket.on('close', () => resolve(out));
    socket.on('error', () => resolve(out));
    setTimeout(() => socket.destroy(), timeoutMs);
  });
}

/** The JSON body of a raw HTTP response. */
export const rawBody = (response: string): unknown =>
  JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
