import { block, isCustomerKey, type RuleContext, type Rules, type Subject, type Verdict } from "./checks";

/** The release (a helm_release subject) that applies an object subject. */
function releaseOf(object: Subject, ctx: RuleContext): Subject | undefined {
  return ctx.of("helm_release").find((r) => object.address.startsWith(`${r.address}/`));
}

/** Whether a NetworkPolicy body (Terraform's snake_case or the object's camelCase) selects every pod and denies ingress by default. */
function deniesByDefault(spec: Record<string, any> | undefined): boolean {
  if (!spec) return false;
  const selector = block(spec.pod_selector ?? spec.podSelector) ?? {};
  const everyPod = Object.keys(selector.match_labels ?? selector.matchLabels ?? {}).length === 0 && !(selector.match_expressions ?? selector.matchExpressions)?.length;
  const types = (spec.policy_types ?? spec.policyTypes ?? []) as string[];
  return everyPod && types.includes("Ingress") && !(spec.ingress as unknown[] | undefined)?.length;
}

/** Checks of in-cluster objects (any target) and of the facts the kit's audit constructs state. */
export const KUBERNETES_RULES: Rules = {
  kubernetes_namespace_v1: (s, ctx) => {
    const name = block(s.attrs.metadata)?.name;
    const inNamespace = (p: Subject) => {
      const ns = block(p.attrs.metadata)?.namespace;
      return ns === name || (typeof ns === "string" && ns.startsWith(`\${${s.address}.`));
    };
    const policies = [
      ...ctx.of("kubernetes_network_policy_v1").filter(inNamespace).map((p) => ({ name: block(p.attrs.metadata)?.name, spec: block(p.attrs.spec) })),
      ...ctx.of("k8s:NetworkPolicy.networking.k8s.io").filter((p) => p.attrs.metadata?.namespace === name).map((p) => ({ name: p.attrs.metadata?.name, spec: p.attrs.spec })),
    ];
    const deny = policies.filter((p) => deniesByDefault(p.spec));
    return [
      {
        check: "network-policies",
        pass: deny.length > 0,
        evidence: deny.length ? `namespace ${name}: ${deny.map((p) => `${p.name} (every pod, policyTypes ${(p.spec?.policy_types ?? p.spec?.policyTypes).join("+")})`).join(", ")}` : `namespace ${name}: no NetworkPolicy denies ingress to every pod (${policies.length} other policies)`,
      },
    ];
  },
  // Persistent volumes: each cloud's CSI driver told to encrypt with the deployment's key.
  kubernetes_storage_class_v1: (s) => {
    const p = (s.attrs.parameters ?? {}) as Record<string, string>;
    const keyed: Record<string, [boolean, string]> = {
      "ebs.csi.aws.com": [p.encrypted === "true" && isCustomerKey(p.kmsKeyId), `encrypted=${p.encrypted ?? "<unset>"}, kmsKeyId=${p.kmsKeyId ?? "<unset>"}`],
      "pd.csi.storage.gke.io": [isCustomerKey(p["disk-encryption-kms-key"]), `disk-encryption-kms-key=${p["disk-encryption-kms-key"] ?? "<unset>"}`],
      "disk.csi.azure.com": [isCustomerKey(p.diskEncryptionSetID), `diskEncryptionSetID=${p.diskEncryptionSetID ?? "<unset>"}`],
    };
    const found = keyed[String(s.attrs.storage_provisioner)];
    return found ? [{ check: "encryption-at-rest", pass: found[0], evidence: `${s.attrs.storage_provisioner}: ${found[1]}` }] : [];
  },
  // CloudNativePG: TLS-only pg_hba, WAL archiving and a daily ScheduledBackup, the release kept on destroy.
  "k8s:Cluster.postgresql.cnpg.io": (s, ctx) => {
    const spec = s.attrs.spec ?? {};
    const hba = (spec.postgresql?.pg_hba ?? []) as string[];
    const archiver = ((spec.plugins ?? []) as { name: string; isWALArchiver?: boolean; parameters?: { barmanObjectName?: string } }[]).find((p) => p.isWALArchiver);
    const store = ctx.of("k8s:ObjectStore.barmancloud.cnpg.io").find((o) => o.attrs.metadata?.name === archiver?.parameters?.barmanObjectName);
    // Barman's retention: a count of days, weeks or months.
    const retention = /^(\d+)([dwm])$/.exec(String(store?.attrs.spec?.retentionPolicy ?? ""));
    const days = retention ? Number(retention[1]) * { d: 1, w: 7, m: 30 }[retention[2] as "d" | "w" | "m"] : 0;
    // Daily: CloudNativePG's six-field schedule (seconds first) with every day, month and weekday, not suspended.
    const scheduled = ctx
      .of("k8s:ScheduledBackup.postgresql.cnpg.io")
      .filter((b) => b.attrs.spec?.cluster?.name === s.attrs.metadata?.name && b.attrs.spec?.suspend !== true && /^\S+ \S+ \S+ \* \* \*$/.test(String(b.attrs.spec?.schedule)));
    const release = releaseOf(s, ctx);
    const verdicts: Verdict[] = [
      { check: "encryption-in-transit", pass: hba[0] === "hostnossl all all all reject", evidence: `pg_hba=${JSON.stringify(hba)}` },
      {
        check: "backups",
        pass: !!archiver && scheduled.length > 0 && days >= ctx.minimums.backupDays,
        evidence: `WAL archiver ${archiver?.name ?? "<none>"}, ObjectStore retentionPolicy=${store?.attrs.spec?.retentionPolicy ?? "<unset>"}, ScheduledBackup ${scheduled.map((b) => `${b.attrs.metadata?.name} schedule=${b.attrs.spec?.schedule}`).join(", ") || "<none>"}`,
      },
      {
        check: "deletion-protection",
        pass: s.attrs.metadata?.annotations?.["helm.sh/resource-policy"] === "keep" && release?.attrs.lifecycle?.prevent_destroy === true,
        evidence: `helm.sh/resource-policy=${s.attrs.metadata?.annotations?.["helm.sh/resource-policy"] ?? "<unset>"}, ${release?.address ?? "release"} lifecycle.prevent_destroy=${release?.attrs.lifecycle?.prevent_destroy ?? "<unset>"}`,
      },
    ];
    return verdicts;
  },
  "fact:audit-ledger": (s, ctx) => [
    {
      check: "audit-trail",
      pass: s.attrs.retentionMonths >= ctx.minimums.auditRetentionMonths,
      evidence: `hash-chained PostgreSQL ledger, append-only for the application, verified daily; retentionMonths=${s.attrs.retentionMonths} (at least ${ctx.minimums.auditRetentionMonths})`,
    },
  ],
  // The UDP node tier's security events (handshakes, sessions, key rotation) go to the customer's SIEM.
  "fact:secure-nodes": (s) => [
    { check: "audit-trail", pass: typeof s.attrs.auditSink === "string", evidence: s.attrs.auditSink ? `secure-node events to syslog ${s.attrs.auditSink} over TLS (RFC 5425)` : "secure-node tier without an audit sink" },
  ],
  "fact:audit-chain": (s) => [
    { check: "audit-trail", pass: s.attrs.validators >= 4, evidence: `private Besu QBFT network, validators=${s.attrs.validators}; blocks are never deleted` },
  ],
};
