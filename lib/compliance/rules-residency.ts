import { block, type RuleContext, type Subject, type Verdict } from "./checks";
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
  // The aws provider 6.x lets a resource name its own region.
  if (s.type.startsWith("aws_") && typeof s.attrs.region === "string" && !s.attrs.region.includes("${")) {
    return [{ check: "data-residency", pass: isGdprRegion("aws", s.attrs.region), evidence: `region=${s.attrs.region}` }];
  }
  const cloud = s.type.startsWith("azurerm_") ? "azure" : s.type.startsWith("google_") ? "gcp" : undefined;
  if (!cloud) return [];
  const places: [string, unknown][] =
    cloud === "azure"
      ? [["location", s.attrs.location]]
      : [
          ["location", s.attrs.location],
          ["location_id", s.attrs.location_id],
          ["region", s.attrs.region],
          // Cloud SQL keeps its backups where this says.
          ["settings.backup_configuration.location", block(block(s.attrs.settings)?.backup_configuration)?.location],
        ];
  return places
    .filter((p): p is [string, string] => typeof p[1] === "string" && !p[1].includes("${"))
    .map(([key, place]): Verdict => {
      if (cloud === "azure" && place === "global") {
        return { check: "data-residency", pass: false, evidence: `${key}=global`, exempt: "Azure keeps this resource type (an alert rule, a DNS zone) globally; it holds configuration, not the deployment's data" };
      }
      // A zone (europe-west4-b) is in its region; GCS's EU multi-region and EUR dual-regions stay in the EU.
      const region = cloud === "gcp" ? place.replace(/^([a-z]+-[a-z]+\d+)-[a-z]$/, "$1") : place;
      const pass = isGdprRegion(cloud, region) || (cloud === "gcp" && /^(EU|EUR\d+)$/i.test(place));
      return { check: "data-residency", pass, evidence: `${key}=${place}` };
    });
}
