// An outbound HTTP client with the gateway's default timeouts, for tests that build providers directly.
import { createHttpClient, type HttpClient } from '../../src/providers/http.js';

export function testHttpClient(): HttpClient {
  return createHttpClient({ headersTimeoutMs: 300_000, bodyTimeoutMs: 600_000 });
}
