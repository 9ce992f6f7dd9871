// Client-side routes under /console (the gateway answers index.html for every /console/* path).
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console';
const CHANGE = 'console:navigate';

/** The path inside the console ('/keys'), without the /console prefix. */
export function currentPath(): string {
  const path = window.location.pathname;
  const inner = path.startsWith(BASE) ? path.slice(BASE.length) : path;
  return inner === '' ? '/' : inner;
}

export function href(path: string): string {
  return `${BASE}${path === '/' ? '/' : path}`;
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const target = href(path);
  if (target === window.location.pathname + window.location.search) return;
  if (options.replace) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  window.dispatchEvent(new Event(CHANGE));
}

export function useRoute(): { path: string; search: URLSearchParams } {
  const read = () => ({ path: currentPath(), search: new URLSearchParams(window.location.search) });
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return route;
}

/** A plain left click on a console link navigates in place; modified clicks open a tab as usual. */
export function onLinkClick(path: string) {
  return (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(path);
  };
}
