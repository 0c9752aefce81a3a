/**
 * Values an error message must never repeat. A field that holds a secret reference is
 * never echoed (see schema-paths.ts); this catches a secret pasted anywhere else: a
 * credential inside a URL, a private key, a token with a well-known prefix, or a long
 * random-looking string. It errs towards hiding: a hidden value costs the reader a
 * look at their own file, a shown secret ends up in CI logs.
 */

// Every pattern is linear: no unbounded run is followed by more pattern that could fail
// (a megabyte of "eyJeyJ..." must not take minutes), so runs are bounded or end the match.
// user:password@ in any URL, and any userinfo in an http(s) URL (tokens go there as the user).
const URL_CREDENTIALS = /:\/\/[^\s/@:]*:[^\s/@]+@|https?:\/\/[^\s/@]+@/i;
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]{0,40}(PRIVATE KEY|CERTIFICATE)/;
// GitHub, GitLab, Slack, Stripe-style, AWS access key ids, Google API keys, JWTs, Slack webhooks.
const KNOWN_TOKEN = /(gh[pousr]_[A-Za-z0-9]{20}|github_pat_\w{20}|glpat-[\w-]{20}|xox[abposr]-[\w-]{10}|sk_(live|test)_\w{10}|\b(AKIA|ASIA)[0-9A-Z]{16}\b|AIza[\w-]{30}|eyJ[\w-]{10,80}\.eyJ|hooks\.slack\.com\/services\/)/;
// Image digests and Git commit ids are long and random, but not secret.
const NOT_SECRET = /(sha256:[0-9a-f]{64}|\b[0-9a-f]{40}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b)/gi;

/** True when `text` looks like a credential or holds one. */
export function looksLikeSecret(text: string): boolean {
  if (URL_CREDENTIALS.test(text) || PRIVATE_KEY.test(text) || KNOWN_TOKEN.test(text)) return true;
  return (text.replace(NOT_SECRET, " ").match(/[\w+/=~-]{20,}/g) ?? []).some(randomLooking);
}

/**
 * 32+ random hex digits, or 20+ base64/token characters mixing upper case, lower case and
 * digits with the spread of random text (over 4.2 bits a character: an AWS secret key
 * has 4.7, `resourceGroups/My-RG2/providers/Microsoft` 4.0).
 */
function randomLooking(run: string): boolean {
  // Random hex carries about 3.7 bits a character; "aaaa..." is hex too, with none.
  if (/^[0-9a-fA-F]{32,}$/.test(run)) return entropy(run) > 3;
  return /[a-z]/.test(run) && /[A-Z]/.test(run) && /\d/.test(run) && entropy(run) > 4.2;
}

function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}
