// Who is signed in: the key lives in sessionStorage (gone when the tab closes), the mode comes from /v1/key.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { type Api, createApi } from './api.js';
import type { KeyInfo } from './types.js';

const STORAGE_KEY = 'tokgate.console.key';

export interface Session {
  api: Api;
  admin: boolean;
  /** The signed-in key's own record (tenant mode). */
  self: Exclude<KeyInfo, { object: 'admin' }> | undefined;
  signOut: () => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

export function storedKey(): string | undefined {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeKey(key: string | undefined): void {
  try {
    if (key === undefined) window.sessionStorage.removeItem(STORAGE_KEY);
    else window.sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage can be disabled; the session then lasts as long as the page.
  }
}

export interface SignedIn {
  key: string;
  info: KeyInfo;
}

/** Signs in with a key: /v1/key says whether it is the admin key or a tenant's key. */
export async function signIn(key: string): Promise<SignedIn> {
  return { key, info: await createApi(key).whoami() };
}
