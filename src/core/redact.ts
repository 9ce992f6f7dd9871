// Upstream error text reaches tenants; it must never carry a credential. Two nets: the gateway's own
// secrets (provider keys, the admin key) masked wherever they appear, and anything shaped like a
// credential (vendor key prefixes, AWS access key ids, long unbroken tokens) masked as OpenAI masks keys:
// all but the last four characters.

/** Vendor key shapes: `sk-...`, `sk-ant-...`, `gsk_...`, `xai-...`, `hf_...`, `AIza...`, `AKIA...`, JWTs. */
const CREDENTIAL_SHAPES = [
  /\b(?:sk|pk|rk|gsk|xai|fw|hf|key|tok|api)[-_][A-Za-z0-9_-]{12,}/g,
  /\bAIza[0-9A-Za-z_-]{20,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  // A long run of letters and digits with no separator: keys, secrets, tokens (model names have dashes).
  /\b(?=[A-Za-z0-9+/]*\d)(?=[A-Za-z0-9+/]*[A-Za-z])[A-Za-z0-9+/]{32,}={0,2}/g,
];

const maskSecret = (secret: string) => `${'*'.repeat(8)}${secret.slice(-4)}`;

export type Redactor = (text: string) => string;

/** A redactor for these known secrets (shorter than 8 characters: ignored, they would mask words). */
export function createRedactor(secrets: Iterable<string | undefined>): Redactor {
  // Longest first, so a secret that contains another is masked whole.
  const known = [
    ...new Set([...secrets].filter((s): s is string => typeof s === 'string' && s.length >= 8)),
  ].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(maskSecret(secret));
    for (const shape of CREDENTIAL_SHAPES) out = out.replace(shape, (match) => maskSecret(match));
    return out;
  };
}
