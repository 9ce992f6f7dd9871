// Sign-in: paste the admin key (everything) or an API key (that key's own account).
import { useState } from 'preact/hooks';
import { FormError } from '../components/ui.js';
import { type SignedIn, signIn } from '../session.js';

export function SignInPage(props: {
  initialError: string | undefined;
  onSignedIn: (result: SignedIn) => void;
}) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(props.initialError);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError('Paste a key to sign in.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await signIn(trimmed));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  };

  return (
    <main class="center-screen signin">
      <div class="signin-card">
        <div class="brand brand-large">
          <span class="brand-mark" aria-hidden="true">
            t
          </span>
          <span>
            tokgate <span class="brand-sub">console</span>
          </span>
        </div>
        <h1>Sign in</h1>
        <p class="muted">
          Use the admin key printed when the gateway first started to manage everything, or an API key to see
          that key's own usage.
        </p>
        <form onSubmit={submit} noValidate>
          <div class="field">
            <label for="signin-key">Key</label>
            <input
              id="signin-key"
              name="key"
              type="password"
              autocomplete="off"
              spellcheck={false}
              placeholder="sk-…"
              value={key}
              onInput={(event) => setKey(event.currentTarget.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? 'signin-error' : 'signin-hint'}
              required
            />
            <p class="hint" id="signin-hint">
              Kept in this tab only; signing out or closing the tab forgets it.
            </p>
          </div>
          <div id="signin-error">
            <FormError error={error} />
          </div>
          <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
