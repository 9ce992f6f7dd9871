// OAuth2 access tokens for a user's Application Default Credentials (`gcloud auth application-default
// login` writes an `authorized_user` file): the refresh-token grant at Google's token endpoint, as
// google-auth-library's UserRefreshClient does it.
import type { HttpClient } from '../http.js';
import type { TokenGrant } from './access-token.js';
import { exchangeAtTokenEndpoint } from './token-endpoint.js';

export interface AuthorizedUser {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  tokenUri: string;
}

export function authorizedUserGrant(provider: string, user: AuthorizedUser, http: HttpClient): TokenGrant {
  return () =>
    exchangeAtTokenEndpoint(provider, http, user.tokenUri, {
      refresh_token: user.refreshToken,
      client_id: user.clientId,
      client_secret: user.clientSecret,
      grant_type: 'refresh_token',
    });
}
