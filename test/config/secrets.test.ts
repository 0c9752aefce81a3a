import { describe, expect, test } from "vitest";
import { renderJsonSchema } from "../../lib/config/json-schema";
import { looksLikeSecret } from "../../lib/config/secrets";
import { parseSpec, SpecError } from "../../lib/config/spec";
import { problems } from "../support/problems";
import { leafPaths, setAt } from "./schema-walk";

/** Credentials as people paste them: none may come back in an error message. */
const SECRETS = [
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", // an AWS secret access key
  "AKIAIOSFODNN7EXAMPLE",
  `ghp_${"R4nd0mT0k3nV4lu3Xy12Ab9Qz".repeat(2)}`,
  "https://deploy:Sup3r-S3cret@git.example.com/acme/deploy.git",
  "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
  "e93facc04764012d7bfb002500d5d1a6", // a PagerDuty routing key
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0d2luZ2F0ZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----",
  "postgres://app:pa55w0rd-Kx9@db.internal:5432/app",
];
/** A pre-shared key or password is any string in a secret field. */
const PLAIN_SECRET = "hunter2hunter2";

const bases = [
  { name: "acme", target: { cloud: "aws", region: "us-west-2" } },
  { name: "acme", target: { cloud: "azure", region: "westeurope" } },
  { name: "acme", target: { cloud: "gcp", region: "europe-west4" } },
  { name: "acme", target: { cloud: "onprem" } },
];

function messagesFor(input: unknown): string[] {
  try {
    parseSpec(input);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return [(e as SpecError).message];
  }
}

describe("no secret is ever repeated in an error", () => {
  test("secret-looking values in every field that takes a string, and as map keys, never appear in a message", () => {
    const paths = leafPaths(JSON.parse(renderJsonSchema()));
    let rejected = 0;
    paths.forEach((path, i) => {
      const secret = SECRETS[i % SECRETS.length];
      for (const base of bases) {
        for (const input of [setAt(structuredClone(base), path, secret), setAt(structuredClone(base), [...path.slice(0, -1), secret], "x")]) {
          const messages = messagesFor(input);
          rejected += messages.length;
          for (const m of messages) expect(m, JSON.stringify(path)).not.toContain(secret);
        }
      }
    });
    expect(rejected).toBeGreaterThan(1000);
  });

  test("a plain password in any secret field is refused without repeating it", () => {
    const secretFields = leafPaths(JSON.parse(renderJsonSchema())).filter((p) => p.at(-1) === "secretRef").map((p) => p.slice(0, -1));
    expect(secretFields.length).toBeGreaterThanOrEqual(12);
    for (const field of secretFields) {
      for (const base of bases) {
        for (const m of messagesFor(setAt(structuredClone(base), field, PLAIN_SECRET))) expect(m).not.toContain(PLAIN_SECRET);
        for (const m of messagesFor(setAt(structuredClone(base), [...field, "secretRef"], `${PLAIN_SECRET}!`))) expect(m).not.toContain(PLAIN_SECRET);
      }
    }
  });

  test.each<[string, unknown, string]>([
    [
      "a pre-shared key written in the spec",
      { ...bases[0], network: { peers: [{ name: "hq", cidrs: ["192.168.0.0/20"], gatewayIp: "198.51.100.10", psk: PLAIN_SECRET }] } },
      "network.peers[0].psk: takes a reference to a secret, never the secret itself: write { secretRef: <the secret's name in the cloud's secret manager> } (value not shown)",
    ],
    [
      "a token beside the reference",
      { ...bases[0], vpn: { remoteAccess: { provider: "twingate", network: "acme", tokens: { secretRef: "acme/twingate", accessToken: SECRETS[6] } } } },
      "vpn.remoteAccess.tokens.accessToken: unknown field; the secret itself belongs in the cloud's secret manager, and here only { secretRef: <the secret's name in the cloud's secret manager> }",
    ],
    [
      "credentials in a Git URL",
      { ...bases[0], platform: { tenants: [{ name: "app", cpu: "4", memory: "8Gi" }], gitops: { repo: SECRETS[3] } } },
      "platform.gitops.repo: must be an https:// or ssh Git URL without credentials, e.g. https://git.example.com/acme/deploy.git (got a value that looks like a secret, not shown)",
    ],
    [
      "a private key in a field that holds no secret",
      { ...bases[0], tags: { owner: SECRETS[7] } },
      "tags.owner: tag values are up to 256 letters, digits, spaces and _.:/=+@- (got a value that looks like a secret, not shown)",
    ],
  ])("%s: the field is named, the value is not", (_, input, message) => {
    expect(problems(input)).toContain(message);
  });
});

describe("looksLikeSecret", () => {
  test.each(SECRETS)("flags %s", (value) => {
    expect(looksLikeSecret(value)).toBe(true);
  });

  test.each([
    "registry.example.com/b4ae/node@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "/subscriptions/8f3a1c2e-4b5d-4e6f-9a0b-1c2d3e4f5a6b/resourceGroups/My-RG2/providers/Microsoft.KeyVault/vaults/acme-kv",
    "arn:aws:iam::111122223333:role/PlatformAdmin2",
    "GP_Standard_D4ds_v5",
    "ssh://git@git.example.com/acme/deploy.git",
    "https://git.example.com/acme/deploy.git",
    "0123456789abcdef0123456789abcdef01234567",
    `${"a".repeat(100)}.example.com`,
  ])("leaves %s alone", (value) => {
    expect(looksLikeSecret(value)).toBe(false);
  });

  test("stays linear on a megabyte of near-misses", () => {
    for (const unit of ["eyJ", "github_pat_", "://a:", "https://", "-----BEGIN ", "ghp_"]) {
      const start = performance.now();
      looksLikeSecret(unit.repeat(Math.ceil(1e6 / unit.length)));
      expect(performance.now() - start, unit).toBeLessThan(1500);
    }
  });
});
