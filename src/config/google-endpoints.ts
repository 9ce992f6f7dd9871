// Google's well-known endpoints, as google-auth-library and gcp-metadata name them (no imports: the
// configuration reads these at start).

/** The OAuth2 token endpoint (authorized_user files name none; service-account keys name it as token_uri). */
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** The metadata server, unless GCE_METADATA_HOST (or GCE_METADATA_IP) says otherwise. */
export const DEFAULT_METADATA_HOST = 'metadata.google.internal';
