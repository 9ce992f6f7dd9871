// Who a request is from, as the layers above need it: the account that pays, the key that asked.
import { DEFAULT_ACCOUNT_ID } from '../store/schema.js';
import type { Principal } from './authenticator.js';

/** The account a principal's requests are charged to; the admin key uses the default account. */
export function accountOf(principal: Principal): string {
  return principal.kind === 'key' ? principal.key.accountId : DEFAULT_ACCOUNT_ID;
}

/** The key's id, or null for the admin key. */
export function keyIdOf(principal: Principal): string | null {
  return principal.kind === 'key' ? principal.key.id : null;
}
