/**
 * The compliance frameworks a deployment can declare, as controls: each control names
 * the framework's own reference, says in one line what the infrastructure does for it,
 * and lists the checks (checks.ts) that evidence it in the synthesized Terraform. What
 * no infrastructure can prove (policies, people, processes) is the operator's and is
 * listed in the README, not here.
 */

export const FRAMEWORKS = ["soc2", "hipaa", "gdpr", "iso27001"] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export const FRAMEWORK_NAMES: Record<Framework, string> = {
  soc2: "SOC 2 (AICPA Trust Services Criteria, 2017, revised points of focus 2022)",
  hipaa: "HIPAA Security Rule (45 CFR Part 164, Subpart C)",
  gdpr: "GDPR (Regulation (EU) 2016/679)",
  iso27001: "ISO/IEC 27001:2022 Annex A",
};

/** What a check evidences; one evaluator per check and resource type (rules-*.ts). */
export const CHECKS = {
  "encryption-at-rest": "Data stores, buckets, logs, cluster secrets and node disks are encrypted with customer-managed keys",
  "key-rotation": "Every key the deployment owns rotates at least yearly",
  "encryption-in-transit": "Databases, caches and buckets accept TLS connections only",
  backups: "Databases are backed up daily with point-in-time recovery, kept at least the framework's minimum",
  "deletion-protection": "Stateful resources refuse deletion: Terraform prevent_destroy and the service's own deletion protection",
  "private-data": "No data store or bucket is reachable from the internet",
  "private-api": "The Kubernetes API is private, or public only to an allowlist",
  "network-policies": "Every namespace the kit creates denies ingress to all its pods by default and allows what they need",
  "flow-logs": "Network flows are logged for every network",
  "control-plane-logs": "The Kubernetes control plane's audit log is kept",
  "audit-trail": "Application audit events go to a tamper-evident ledger kept at least the framework's minimum",
  "data-residency": "Every region the deployment uses is in the EU/EEA, the UK or Switzerland",
} as const;
export type CheckId = keyof typeof CHECKS;

export interface Control {
  /** Unique across frameworks, e.g. "hipaa-164.312(b)". */
  readonly id: string;
  readonly framework: Framework;
  /** The framework's own reference, e.g. "§164.312(b)". */
  readonly reference: string;
  readonly title: string;
  readonly checks: readonly CheckId[];
}

const control = (framework: Framework, reference: string, title: string, checks: CheckId[]): Control => ({
  id: `${framework}-${reference.replace(/^[§ ]+|\s+/g, "").replace(/^Art\./, "art").replace(/^A\./, "a")}`,
  framework,
  reference,
  title,
  checks,
});

export const CONTROLS: readonly Control[] = [
  control("soc2", "CC6.1", "Logical access security: data encrypted with keys the entity controls, stores and APIs reachable from the private network only", ["encryption-at-rest", "key-rotation", "private-data", "private-api"]),
  control("soc2", "CC6.6", "Boundary protection against threats from outside the system", ["private-api", "network-policies"]),
  control("soc2", "CC6.7", "Data in transmission is encrypted", ["encryption-in-transit"]),
  control("soc2", "CC7.2", "System components are monitored for anomalies: network flows, the control plane and application events are logged", ["flow-logs", "control-plane-logs", "audit-trail"]),
  control("soc2", "A1.2", "Backup and recovery infrastructure protects against data loss", ["backups", "deletion-protection"]),

  control("hipaa", "§164.312(a)(1)", "Access control: ePHI systems reachable only by authorised networks and workloads", ["private-data", "private-api", "network-policies"]),
  control("hipaa", "§164.312(a)(2)(iv)", "Encryption and decryption of ePHI at rest", ["encryption-at-rest", "key-rotation"]),
  control("hipaa", "§164.312(b)", "Audit controls: activity in systems holding ePHI is recorded and kept", ["audit-trail", "control-plane-logs", "flow-logs"]),
  control("hipaa", "§164.312(c)(1)", "Integrity: ePHI protected from improper alteration or destruction", ["deletion-protection"]),
  control("hipaa", "§164.312(e)(1)", "Transmission security: ePHI encrypted in transit", ["encryption-in-transit"]),
  control("hipaa", "§164.308(a)(7)(ii)(A)", "Data backup plan: retrievable exact copies of ePHI", ["backups"]),

  control("gdpr", "Art. 32(1)(a)", "Encryption of personal data at rest and in transit", ["encryption-at-rest", "encryption-in-transit", "key-rotation"]),
  control("gdpr", "Art. 32(1)(b)", "Ongoing confidentiality and integrity of processing systems", ["private-data", "private-api", "network-policies"]),
  control("gdpr", "Art. 32(1)(c)", "Availability and access restored in a timely manner after an incident", ["backups", "deletion-protection"]),
  control("gdpr", "Art. 44", "Personal data stays where transfers need no further safeguard: the EU/EEA and countries with an adequacy decision (the kit accepts the UK and Switzerland)", ["data-residency"]),
  control("gdpr", "Art. 5(2)", "Accountability: processing is recorded so compliance can be demonstrated", ["audit-trail", "control-plane-logs"]),

  control("iso27001", "A.8.24", "Use of cryptography: encryption at rest and in transit, managed keys", ["encryption-at-rest", "encryption-in-transit", "key-rotation"]),
  control("iso27001", "A.8.13", "Information backup", ["backups"]),
  control("iso27001", "A.8.15", "Logging: activities, exceptions and events recorded and protected", ["audit-trail", "control-plane-logs", "flow-logs"]),
  control("iso27001", "A.8.20", "Networks security", ["private-data", "private-api"]),
  control("iso27001", "A.8.22", "Segregation of networks", ["network-policies"]),
  control("iso27001", "A.5.33", "Protection of records from loss, destruction and falsification", ["deletion-protection", "audit-trail"]),
];

/** The numbers a profile sets: a deployment must meet the largest of its frameworks'. */
export interface Minimums {
  /** Audit ledger retention, months. */
  readonly auditRetentionMonths: number;
  /** Database backups kept, days. */
  readonly backupDays: number;
  /** Logs searchable in the cluster's log store, days. */
  readonly logRetentionDays: number;
}

/**
 * Per framework, with why. HIPAA keeps required documentation six years
 * (§164.316(b)(2)(i)); the kit treats the audit trail as such. SOC 2 and ISO 27001 set
 * no number: a year covers a Type II period or an audit cycle. Ninety days of
 * searchable logs is the kit's choice for incident review. GDPR's storage limitation
 * (Art. 5(1)(e)) sets no minimum.
 */
export const MINIMUMS: Record<Framework, Minimums> = {
  soc2: { auditRetentionMonths: 12, backupDays: 7, logRetentionDays: 90 },
  hipaa: { auditRetentionMonths: 72, backupDays: 7, logRetentionDays: 90 },
  gdpr: { auditRetentionMonths: 0, backupDays: 7, logRetentionDays: 0 },
  iso27001: { auditRetentionMonths: 12, backupDays: 7, logRetentionDays: 90 },
};

/** The strictest of the frameworks' minimums. */
export function minimumsOf(frameworks: readonly Framework[]): Minimums {
  const max = (key: keyof Minimums) => Math.max(0, ...frameworks.map((f) => MINIMUMS[f][key]));
  return { auditRetentionMonths: max("auditRetentionMonths"), backupDays: max("backupDays"), logRetentionDays: max("logRetentionDays") };
}

/** The frameworks (of `frameworks`) whose minimum `key` is the largest, for error messages. */
export function strictest(frameworks: readonly Framework[], key: keyof Minimums): Framework[] {
  const m = minimumsOf(frameworks)[key];
  return frameworks.filter((f) => MINIMUMS[f][key] === m);
}

/**
 * The regions GDPR deployments may use, per cloud: the EU/EEA, the UK and Switzerland
 * (EU adequacy decisions, Art. 45). Other adequate countries (Japan, Canada, Israel...)
 * and transfers under Art. 46 safeguards are a legal decision the kit does not make.
 * Sources: each cloud's region list (location names).
 */
export const GDPR_REGIONS = {
  aws: ["eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2"],
  azure: [
    "westeurope", "northeurope", "francecentral", "francesouth", "germanywestcentral", "germanynorth", "swedencentral", "swedensouth",
    "norwayeast", "norwaywest", "polandcentral", "italynorth", "spaincentral", "austriaeast", "belgiumcentral", "denmarkeast",
    "uksouth", "ukwest", "switzerlandnorth", "switzerlandwest",
  ],
  gcp: [
    "europe-central2", "europe-north1", "europe-north2", "europe-southwest1", "europe-west1", "europe-west2", "europe-west3",
    "europe-west4", "europe-west6", "europe-west8", "europe-west9", "europe-west10", "europe-west12",
  ],
} as const;

export function isGdprRegion(cloud: string, region: string): boolean {
  return (GDPR_REGIONS as Record<string, readonly string[]>)[cloud]?.includes(region.toLowerCase()) ?? false;
}
