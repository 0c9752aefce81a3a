/**
 * The baseline every tenant namespace enforces, beyond Pod Security `restricted`
 * (which the namespace labels already enforce): images pinned to a version, resources
 * declared so quotas and scheduling work, no Service `externalIPs` (CVE-2020-8554), no
 * namespaced SecretStore (it would borrow the External Secrets controller's cloud
 * identity) and no CA certificates from the platform's issuers.
 * Written once in CEL, so Kyverno's ValidatingPolicy and Gatekeeper's
 * K8sNativeValidation templates enforce the same rules.
 */
export interface BaselineRule {
  /** Policy name (also the Gatekeeper constraint's kind, in PascalCase). */
  readonly name: string;
  readonly description: string;
  /** The admission resource the rule applies to. */
  readonly match: { readonly apiGroups: string[]; readonly apiVersions: string[]; readonly resources: string[]; readonly kinds: string[] };
  /** CEL over `object`; true admits. */
  readonly expression: string;
  readonly message: string;
}

/** `pred` over `c`, for the regular and init containers of a Pod. */
function everyContainer(pred: string): string {
  return `object.spec.containers.all(c, ${pred}) && (!has(object.spec.initContainers) || object.spec.initContainers.all(c, ${pred}))`;
}

const pods = { apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], kinds: ["Pod"] };

export const BASELINE_RULES: BaselineRule[] = [
  {
    name: "require-pinned-images",
    description: "Images are pinned to a digest or to a tag other than latest, so a redeploy runs what was reviewed.",
    match: pods,
    // A tag is what follows the last ":" when no "/" comes after it (registry:5000/app is untagged).
    expression: everyContainer(`c.image.matches('@sha256:[a-f0-9]{64}$') || (c.image.matches(':[^/:@]+$') && !c.image.endsWith(':latest'))`),
    message: "every container image needs a version tag other than latest, or a digest",
  },
  {
    name: "require-resources",
    description: "Containers declare CPU and memory requests and a memory limit (the namespace's LimitRange fills in defaults).",
    match: pods,
    expression: everyContainer(
      `has(c.resources) && has(c.resources.requests) && 'cpu' in c.resources.requests && 'memory' in c.resources.requests && has(c.resources.limits) && 'memory' in c.resources.limits`,
    ),
    message: "every container needs CPU and memory requests and a memory limit",
  },
  {
    name: "restrict-external-ips",
    description: "Services may not set externalIPs, which lets a tenant intercept traffic to any address (CVE-2020-8554).",
    match: { apiGroups: [""], apiVersions: ["v1"], resources: ["services"], kinds: ["Service"] },
    expression: "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0",
    message: "Services may not set spec.externalIPs",
  },
  {
    name: "disallow-secret-stores",
    description: "Tenants may not define SecretStores: one without credentials would act as the External Secrets controller's own cloud identity.",
    match: { apiGroups: ["external-secrets.io"], apiVersions: ["v1"], resources: ["secretstores"], kinds: ["SecretStore"] },
    expression: "false",
    message: "SecretStores are managed by the platform; use the stores it provides",
  },
  {
    name: "disallow-ca-certificates",
    description: "Certificates tenants request may not be CAs: a CA signed by the internal CA could sign for any name the cluster trusts.",
    match: {
      apiGroups: ["cert-manager.io"],
      apiVersions: ["v1"],
      resources: ["certificates", "certificaterequests"],
      kinds: ["Certificate", "CertificateRequest"],
    },
    expression: "!has(object.spec.isCA) || !object.spec.isCA",
    message: "certificates in tenant namespaces may not set isCA",
  },
];

/** `require-pinned-images` → `ByocRequirePinnedImages`: a Gatekeeper constraint kind. */
export function constraintKind(rule: BaselineRule): string {
  return `Byoc${rule.name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())}`;
}
