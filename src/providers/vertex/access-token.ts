// A cached OAuth2 access token, whatever grant issues it (a service account's signed JWT, a user's refresh
// token, the metadata server): refreshed shortly before it expires, and concurrent callers share the one
// grant in flight, so nothing is fetched per request.

/** What a grant answers: the token and its lifetime in seconds (Google's `expires_in`). */
export interface IssuedToken {
  accessToken: string;
  expiresInS: number | undefined;
}

/** Asks the issuer for a new token; throws a GatewayError when it refuses or fails. */
export type TokenGrant = () => Promise<IssuedToken>;

/** Refreshed this long before expiry (google-auth-library's eagerRefreshThresholdMillis: 5 minutes). */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** When the issuer gives no lifetime: Google's tokens live an hour. */
const DEFAULT_LIFETIME_S = 3600;

export class AccessTokenSource {
  private cached: { value: string; refreshAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly grant: TokenGrant,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid access token: the cached one, or the one grant under way, or a new grant. */
  get(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return Promise.resolve(this.cached.value);
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async refresh(): Promise<string> {
    const issued = this.now();
    const token = await this.grant();
    const lifetimeMs = (token.expiresInS ?? DEFAULT_LIFETIME_S) * 1000;
    this.cached = {
      value: token.accessToken,
      refreshAt: issued + Math.max(0, lifetimeMs - REFRESH_MARGIN_MS),
    };
    return token.accessToken;
  }
}
