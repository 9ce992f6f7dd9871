// Azure accepts OpenAI messages as they are, with one exception: the `developer` role exists only from
// api-version 2024-12-01-preview on; older versions answer 400, so there it is sent as `system` (which is
// what OpenAI itself does for models that predate the role).
import type { ChatMessage } from '../../core/types.js';

const DEVELOPER_ROLE_SINCE = '2024-12-01';

/** Api versions are dates (`2024-10-21`, `2025-04-01-preview`); `preview`/`latest` aliases are recent. */
export function supportsDeveloperRole(apiVersion: string): boolean {
  const date = /^\d{4}-\d{2}-\d{2}/.exec(apiVersion)?.[0];
  return date === undefined || date >= DEVELOPER_ROLE_SINCE;
}

export function convertToAzureMessages(messages: ChatMessage[], apiVersion: string): ChatMessage[] {
  if (supportsDeveloperRole(apiVersion) || !messages.some((m) => m.role === 'developer')) return messages;
  return messages.map((m) => (m.role === 'developer' ? { ...m, role: 'system' } : m));
}
