import type { RuleContext, Subject, Verdict } from "./checks";
import { isGdprRegion } from "./frameworks";

/** What a us-east-1 provider may serve under GDPR: DNSSEC signing (Route 53 requires the key there; a signing key, its alias and policy hold no personal data). */
const DNSSEC_ONLY = (s: Subject) => (s.type === "aws_kms_key" && s.attrs.key_usage === "SIGN_VERIFY") || s.type === "aws_kms_alias" || s.type === "data.aws_iam_policy_document";

/**
 * Where data may go (GDPR Art. 44): the regions of the AWS and Google providers a stack
 * configures, and the location of every Azure resource (the azurerm provider has none)
 * and every Google resource that names one.
 */
export function residency(s: Subject, ctx: RuleContext): Verdict[] {
  if (s.type === "provider.aws" || s.type === "provider.google") {
    const region = s.attrs.region;
    if (typeof region !== "string") return [{ check: "data-residency", pass: false, evidence: `region=${region ?? "<unset>"}: not a literal region` }];
    const pass = isGdprRegion(s.type === "provider.aws" ? "aws" : "gcp", region);
    const alias = s.attrs.alias;
    if (pass || !alias) return [{ check: "data-residency", pass, evidence: `region=${region}` }];
    const users = ctx.all().filter((r) => r.attrs.provider === `${s.type.slice("provider.".length)}.${alias}`);
    const exempt = users.every(DNSSEC_ONLY) ? `used only for ${users.length ? users.map((u) => u.address).join(", ") : "nothing"}: Route 53 keeps DNSSEC signing keys in us-east-1 and they hold no personal data` : undefined;
    return [{ check: "data-residency", pass: false, evidence: `region=${region} (alias ${alias}) used by ${users.map((u) => u.address).join(", ") || "nothing"}`, ...(exempt ? { exempt } : {}) }];
  }
  const cloud = s.type.startsWith("azurerm_") ? "azure" : s.type.startsWith("google_") ? "gcp" : undefined;
  const location = s.attrs.location ?? s.attrs.location_id ?? (cloud === "gcp" ? s.attrs.region : undefined);
  if (!cloud || typeof location !== "string" || location.includes("${")) return [];
  if (cloud === "azure" && location === "global") {
    return [{ check: "data-residency", pass: false, evidence: "location=global", exempt: "Azure keeps this resource type (an alert rule, a DNS zone) globally; it holds configuration, not the deployment's data" }];
  }
  return [{ check: "data-residency", pass: isGdprRegion(cloud, location) || (cloud === "gcp" && location.toUpperCase() === "EU"), evidence: `location=${location}` }];
}
