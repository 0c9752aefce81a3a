import { TerraformResource } from "cdktf";
import { beforeAll, describe, expect, test } from "vitest";
import { TARGET_CLOUDS, defaultSpec } from "../lib/config/defaults";
import { loadSpec, parseSpec, type DeploymentSpec } from "../lib/config/spec";
import { CHARTS, RETIRED_CHARTS } from "../lib/platform/charts";
import { dependencies, isManifests, releases } from "./support/helm";
import { exampleSpecs, synthSpec, type StackJson } from "./support/synth";

/** API groups of Kubernetes itself ("v1" is the core group's apiVersion). */
const BUILT_IN_GROUPS = ["v1", "apps", "batch", "policy", "autoscaling"];

/**
 * Rules every synthesized stack of every example (and of the embedded default) must
 * keep, whatever the target: the security baseline of DESIGN.md as checks on JSON.
 */
const deployments: [string, DeploymentSpec][] = [
  ...exampleSpecs().map(({ name, path }): [string, DeploymentSpec] => [`examples/${name}`, loadSpec(path)]),
  ...TARGET_CLOUDS.map((c): [string, DeploymentSpec] => [`default ${c}`, parseSpec(defaultSpec(c))]),
];

/** Walks a JSON value, yielding [key, value, path] for every property. */
function* walk(value: unknown, path = ""): Generator<[string, unknown, string]> {
  if (value === null || typeof value !== "object") return;
  for (const [k, v] of Object.entries(value)) {
    yield [k, v, `${path}.${k}`];
    yield* walk(v, `${path}.${k}`);
  }
}

const SECRET_KEY = /(preshared_key|shared_key|shared_secret|password|private_key|client_secret|(^|_)token)$/;
const INTERNET = ["0.0.0.0/0", "*", "Internet", "Any"];
/** Types that hold data or keys: they must refuse to be destroyed by a plan while protection is on. */
const STATEFUL = [
  "aws_kms_key", "azurerm_storage_account", "aws_s3_bucket", "google_storage_bucket", "azurerm_key_vault",
  "azurerm_key_vault_key", "google_kms_crypto_key", "aws_db_instance", "aws_docdb_cluster", "aws_elasticache_replication_group",
  "azurerm_postgresql_flexible_server", "azurerm_mongo_cluster", "azurerm_managed_redis", "google_sql_database_instance",
  "google_redis_instance", "google_firestore_database", "aws_eks_cluster", "azurerm_kubernetes_cluster", "google_container_cluster",
];

/**
 * What every database, cache and document store must be, per type: private, encrypted
 * at rest with the deployment's key, TLS in transit, backed up for at least 7 days.
 */
const STORES: Record<string, (r: Record<string, any>) => Record<string, unknown>> = {
  aws_db_instance: (r) => ({ private: r.publicly_accessible === false, encrypted: r.storage_encrypted === true && isRef(r.kms_key_id), backups: r.backup_retention_period >= 7 }),
  aws_docdb_cluster: (r) => ({ encrypted: r.storage_encrypted === true && isRef(r.kms_key_id), backups: r.backup_retention_period >= 7 }),
  aws_elasticache_replication_group: (r) => ({ encrypted: String(r.at_rest_encryption_enabled) === "true" && isRef(r.kms_key_id), tls: String(r.transit_encryption_enabled) === "true" }),
  azurerm_postgresql_flexible_server: (r) => ({ private: r.public_network_access_enabled === false, encrypted: isRef(r.customer_managed_key?.key_vault_key_id), backups: r.backup_retention_days >= 7 }),
  azurerm_mongo_cluster: (r) => ({ private: r.public_network_access === "Disabled", encrypted: isRef(r.customer_managed_key?.key_vault_key_id) }),
  azurerm_managed_redis: (r) => ({ private: r.public_network_access === "Disabled", encrypted: isRef(r.customer_managed_key?.key_vault_key_id), tls: r.default_database?.client_protocol === "Encrypted" }),
  google_sql_database_instance: (r) => ({
    private: r.settings?.ip_configuration?.ipv4_enabled === false,
    encrypted: isRef(r.encryption_key_name),
    tls: ["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"].includes(r.settings?.ip_configuration?.ssl_mode),
    backups: r.settings?.backup_configuration?.enabled === true && r.settings.backup_configuration.point_in_time_recovery_enabled === true,
  }),
  google_redis_instance: (r) => ({ private: r.connect_mode === "PRIVATE_SERVICE_ACCESS", encrypted: isRef(r.customer_managed_key), tls: r.transit_encryption_mode === "SERVER_AUTHENTICATION", auth: r.auth_enabled === true }),
  google_firestore_database: (r) => ({ encrypted: isRef(r.cmek_config?.kms_key_name), backups: r.point_in_time_recovery_enablement === "POINT_IN_TIME_RECOVERY_ENABLED" }),
};

function isRef(value: unknown): boolean {
  return typeof value === "string" && /^\$\{[a-z_]+\./.test(value);
}

/** The chart that installs each API group's CRDs (constraints come from their templates). */
const CRD_OWNER: Record<string, string> = {
  "cert-manager.io": "cert-manager",
  "external-secrets.io": "external-secrets",
  "argoproj.io": "argo-cd",
  "policies.kyverno.io": "kyverno",
  "templates.gatekeeper.sh": "gatekeeper",
  "gateway.networking.k8s.io": "gateway-helm",
  "gateway.envoyproxy.io": "gateway-helm",
  "metallb.io": "metallb",
  "postgresql.cnpg.io": "cloudnative-pg",
  "barmancloud.cnpg.io": "plugin-barman-cloud",
  "mongodbcommunity.mongodb.com": "mongodb-kubernetes",
  "generators.external-secrets.io": "external-secrets",
  "monitoring.coreos.com": "prometheus-operator-crds",
  "karpenter.sh": "karpenter-crd",
  "karpenter.k8s.aws": "karpenter-crd",
};

describe("invariants", () => {
  test("the examples cover every target", () => {
    expect(new Set(deployments.map(([, s]) => s.target.cloud))).toEqual(new Set(TARGET_CLOUDS));
    expect(exampleSpecs().map((e) => e.name)).toEqual(expect.arrayContaining(["aws-minimal", "aws-production", "azure", "gcp", "onprem"]));
  });

  describe.each(deployments)("%s", (_, spec) => {
    let stacks: StackJson[] = [];
    beforeAll(async () => {
      stacks = Object.values(await synthSpec(spec));
    });
    const each = (check: (stack: StackJson) => void) => () => {
      expect(stacks.length).toBeGreaterThan(0);
      for (const stack of stacks) check(stack);
    };

    test("state goes to the spec's backend, one key per stack", each((stack) => {
      const backend = stack.json.terraform.backend;
      expect(Object.keys(backend)).toEqual([spec.state.backend]);
      expect(JSON.stringify(backend)).toContain(stack.name);
    }));

    test("provider versions are pinned exactly", each((stack) => {
      for (const [name, p] of Object.entries<{ version: string }>(stack.json.terraform.required_providers ?? {})) {
        expect(p.version, name).toMatch(/^\d+\.\d+\.\d+$/);
      }
    }));

    test("no secret is written as a literal: every secret-bearing attribute is a reference", each((stack) => {
      for (const [key, value, path] of walk(stack.json.resource)) {
        // Flags such as manage_master_user_password are booleans; a secret would be a string.
        if (SECRET_KEY.test(key) && typeof value === "string") expect(value, path).toMatch(/^\$\{data\.[a-z_]+\.[^}]+\}$/);
      }
    }));

    test("every taggable resource carries the deployment, component, environment, managed-by and user tags", each((stack) => {
      const required = { deployment: spec.name, environment: spec.environment, "managed-by": "cdktf-byoc" };
      const user = Object.fromEntries(Object.entries(spec.tags).map(([k, v]) => [k, v]));
      let checked = 0;
      for (const node of stack.construct.node.findAll()) {
        if (!(node instanceof TerraformResource)) continue;
        const body = stack.json.resource[node.terraformResourceType][node.friendlyUniqueId];
        // A notification channel's `labels` is its configuration; its labels are `user_labels`.
        const field = !node.terraformResourceType.startsWith("google_") ? "tags" : /^google_monitoring_(notification_channel|alert_policy)$/.test(node.terraformResourceType) ? "user_labels" : "labels";
        const setter = { tags: "resetTags", labels: "resetLabels", user_labels: "resetUserLabels" }[field];
        const taggable = typeof (node as unknown as Record<string, unknown>)[setter] === "function";
        if (!taggable) continue;
        checked++;
        expect(body[field], node.node.path).toMatchObject(field === "tags" ? { ...required, ...user } : lower(required));
        expect(body[field].component, node.node.path).toMatch(/^[a-z-]+$/);
        if (field === "user_labels") expect(body.labels?.deployment, `${node.node.path}: the channel's own labels stay its configuration`).toBeUndefined();
      }
      // Infra stacks are mostly taggable cloud resources; platform stacks may hold only IAM bindings.
      if (stack.name.endsWith("-infra")) expect(checked).toBeGreaterThan(0);
    }));

    test("stateful resources are protected from destroy while data.protection is on", each((stack) => {
      if (!spec.data.protection) return;
      for (const type of STATEFUL) {
        for (const r of stack.resources(type)) expect(r.lifecycle?.prevent_destroy, r.tfAddress).toBe(true);
      }
    }));

    test("every database, cache and document store is private, encrypted with the deployment's key, TLS-only and backed up", each((stack) => {
      for (const [type, check] of Object.entries(STORES)) {
        for (const r of stack.resources(type)) {
          const facts = check(r);
          expect(facts, r.tfAddress).toEqual(Object.fromEntries(Object.keys(facts).map((k) => [k, true])));
        }
      }
    }));

    test("every bucket is encrypted, versioned and private", each((stack) => {
      for (const b of stack.resources("aws_s3_bucket")) {
        const of = (type: string) => stack.resources(type).find((r) => r.bucket === stack.ref(b, "id"));
        expect(of("aws_s3_bucket_server_side_encryption_configuration")?.rule?.[0]?.apply_server_side_encryption_by_default?.sse_algorithm, b.tfAddress).toMatch(/^(aws:kms|AES256)$/);
        expect(of("aws_s3_bucket_versioning")?.versioning_configuration?.status, b.tfAddress).toBe("Enabled");
        const block = of("aws_s3_bucket_public_access_block");
        expect([block?.block_public_acls, block?.block_public_policy, block?.ignore_public_acls, block?.restrict_public_buckets], b.tfAddress).toEqual([true, true, true, true]);
        expect(b.force_destroy ?? false, b.tfAddress).toBe(false);
      }
      for (const b of stack.resources("google_storage_bucket")) {
        expect([b.uniform_bucket_level_access, b.public_access_prevention, b.versioning?.enabled, isRef(b.encryption?.default_kms_key_name)], b.tfAddress).toEqual([true, "enforced", true, true]);
        expect(b.force_destroy ?? false, b.tfAddress).toBe(false);
      }
      // Accounts holding the product's containers (the flow-log account is closed by its network rules).
      const withContainers = new Set(stack.resources("azurerm_storage_container").map((c) => c.storage_account_id));
      for (const a of stack.resources("azurerm_storage_account").filter((a) => withContainers.has(stack.ref(a, "id")))) {
        expect([a.public_network_access_enabled, a.shared_access_key_enabled, a.allow_nested_items_to_be_public, a.min_tls_version], a.tfAddress).toEqual([false, false, false, "TLS1_2"]);
        expect([a.blob_properties?.versioning_enabled, isRef(a.customer_managed_key?.key_vault_key_id)], a.tfAddress).toEqual([true, true]);
      }
      for (const c of stack.resources("azurerm_storage_container")) expect(c.container_access_type ?? "private", c.tfAddress).toBe("private");
    }));

    test("nothing admits traffic from the whole internet", each((stack) => {
      for (const r of stack.resources("aws_vpc_security_group_ingress_rule")) expect(r.cidr_ipv4, r.tfAddress).not.toBe("0.0.0.0/0");
      for (const r of stack.resources("aws_security_group")) expect(r.ingress ?? [], r.tfAddress).toEqual([]);
      for (const r of stack.resources("google_compute_firewall").filter((f) => f.allow && f.direction === "INGRESS")) {
        expect(r.source_ranges, r.tfAddress).not.toContain("0.0.0.0/0");
      }
      for (const nsg of stack.resources("azurerm_network_security_group")) {
        for (const rule of nsg.security_rule ?? []) {
          if (rule.direction === "Inbound" && rule.access === "Allow") expect(INTERNET, nsg.tfAddress).not.toContain(rule.source_address_prefix);
        }
      }
    }));

    test("no subnet hands out public IPs; log groups are encrypted and expire", each((stack) => {
      for (const s of stack.resources("aws_subnet")) expect(s.map_public_ip_on_launch, s.tfAddress).toBe(false);
      for (const g of stack.resources("aws_cloudwatch_log_group")) {
        expect(g.kms_key_id, g.tfAddress).toMatch(/^\$\{aws_kms_key\./);
        expect(g.retention_in_days, g.tfAddress).toBeGreaterThan(0);
      }
    }));

    test("every chart is pinned to the kit's list and none comes from a retired upstream", each((stack) => {
      const pinned = Object.values(CHARTS);
      for (const { block } of releases(stack)) {
        if (isManifests(block)) continue;
        expect(pinned, block.tfAddress).toContainEqual({ repository: block.repository, chart: block.chart, version: block.version });
        for (const retired of RETIRED_CHARTS) expect(`${block.repository}/${block.chart}`, retired.why).not.toMatch(retired.pattern);
      }
    }));

    test("every custom resource waits for the release that installs its CRD", each((stack) => {
      for (const release of releases(stack).filter((r) => r.objects.length > 0)) {
        const deps = dependencies(stack, release);
        for (const o of release.objects) {
          const group = String(o.apiVersion).split("/")[0];
          // Built-in kinds (the ledger's ConfigMap, Job, CronJob) need no CRD.
          if (BUILT_IN_GROUPS.includes(group)) continue;
          if (group === "constraints.gatekeeper.sh") {
            expect(deps.some((d) => d.objects.some((t) => t.kind === "ConstraintTemplate")), o.kind).toBe(true);
          } else {
            expect(CRD_OWNER[group], `${o.kind}: which chart installs ${group}?`).toBeDefined();
            expect(deps.map((d) => d.block.chart), `${o.kind} ${o.metadata?.name}`).toContain(CRD_OWNER[group]);
          }
        }
      }
    }));

    test("no Kubernetes API is open to the whole internet", each((stack) => {
      for (const c of stack.resources("aws_eks_cluster")) {
        if (c.vpc_config.endpoint_public_access) expect(c.vpc_config.public_access_cidrs, c.tfAddress).not.toContain("0.0.0.0/0");
        expect(c.vpc_config.endpoint_public_access && (c.vpc_config.public_access_cidrs ?? []).length === 0, c.tfAddress).toBe(false);
      }
      for (const c of stack.resources("azurerm_kubernetes_cluster")) {
        if (!c.private_cluster_enabled) {
          expect(c.api_server_access_profile?.authorized_ip_ranges?.length, c.tfAddress).toBeGreaterThan(0);
          expect(c.api_server_access_profile.authorized_ip_ranges, c.tfAddress).not.toContain("0.0.0.0/0");
        }
      }
      for (const c of stack.resources("google_container_cluster")) {
        expect(c.master_authorized_networks_config, c.tfAddress).toBeDefined();
        const blocks = (c.master_authorized_networks_config.cidr_blocks ?? []).map((b: { cidr_block: string }) => b.cidr_block);
        expect(blocks, c.tfAddress).not.toContain("0.0.0.0/0");
        expect(c.master_authorized_networks_config.gcp_public_cidrs_access_enabled, c.tfAddress).not.toBe(true);
      }
    }));

    test("the cluster providers hold no credential: an exec plugin or a kubeconfig path", each((stack) => {
      for (const name of ["kubernetes", "helm"]) {
        for (const p of stack.json.provider?.[name] ?? []) {
          const config = name === "helm" ? p.kubernetes : p;
          for (const key of ["token", "client_key", "client_certificate", "password", "username"]) expect(config[key], `${name}.${key}`).toBeUndefined();
          expect(config.exec ?? config.config_path, name).toBeDefined();
        }
      }
    }));

    test("every tenant namespace enforces Pod Security restricted and denies traffic by default", each((stack) => {
      const tenants = stack.resources("kubernetes_namespace_v1").filter((n) => n.metadata.labels?.["cdktf-byoc/tenant"]);
      expect(tenants.length).toBe(stack.name.endsWith("-infra") ? 0 : spec.platform.tenants.length);
      for (const ns of tenants) {
        expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"], ns.metadata.name).toBe("restricted");
        const deny = stack.resources("kubernetes_network_policy_v1").filter((p) => p.metadata.name === "default-deny-all" && p.metadata.namespace.includes(ns.tfAddress.split(".")[1]));
        expect(deny, ns.metadata.name).toHaveLength(1);
        expect(deny[0].spec.policy_types).toEqual(["Ingress", "Egress"]);
      }
    }));

    test("every namespace the kit creates denies traffic by default (MetalLB's is host-network, and the data namespace denies ingress)", each((stack) => {
      const policies = stack.resources("kubernetes_network_policy_v1");
      for (const ns of stack.resources("kubernetes_namespace_v1")) {
        const name = ns.metadata.name as string;
        if (name === "metallb-system") continue;
        const here = policies.filter((p) => p.metadata.namespace === name || p.metadata.namespace.includes(`${ns.tfAddress}.`));
        const deny = here.find((p) => p.metadata.name.startsWith("default-deny") && p.spec.ingress === undefined && JSON.stringify(p.spec.pod_selector) === JSON.stringify({ match_labels: {} }));
        expect(deny, `${name}: a default-deny NetworkPolicy`).toBeDefined();
      }
    }));

    test("no static cloud credential or plaintext alert receiver in any value", each((stack) => {
      const text = JSON.stringify(stack.json);
      expect(text).not.toMatch(/AKIA[0-9A-Z]{16}|hooks\.slack\.com\/services|events\.pagerduty\.com\/integration\/[0-9a-f]{8}|AccountKey=|"(shared_key|sas_token|routing_key|api_url|service_key)":\s*"[^$]/);
    }));

    test("every pod the kit defines itself runs non-root, read-only, without capabilities or a service-account token it does not use", each((stack) => {
      for (const w of [...stack.resources("kubernetes_stateful_set_v1"), ...stack.resources("kubernetes_deployment_v1")]) {
        const pod = w.spec.template.spec;
        expect([pod.security_context?.run_as_non_root, pod.security_context?.seccomp_profile?.type], w.tfAddress).toEqual([true, "RuntimeDefault"]);
        for (const c of [...(pod.container ?? []), ...(pod.init_container ?? [])]) {
          const sc = c.security_context ?? {};
          expect([sc.read_only_root_filesystem, sc.allow_privilege_escalation, sc.capabilities?.drop], `${w.tfAddress} ${c.name}`).toEqual([true, false, ["ALL"]]);
          expect(c.resources?.limits?.memory, `${w.tfAddress} ${c.name}: a memory limit`).toBeDefined();
        }
      }
    }));

    test("every UDP service admits its peers only: at the load balancer, the cloud firewall and the pods' NetworkPolicy, keeping the client address", () => {
      const all = (type: string) => stacks.flatMap((st) => st.resources(type));
      const udpServices = stacks.flatMap((st) =>
        st.resources("kubernetes_service_v1").filter((svc) => ["LoadBalancer", "NodePort"].includes(svc.spec.type) && (svc.spec.port ?? []).some((p: { protocol?: string }) => p.protocol === "UDP")),
      );
      expect(udpServices.length, "a UDP service exactly when secureNodes is on").toBe(spec.secureNodes ? 1 : 0);
      for (const svc of udpServices) {
        const ranges: string[] = svc.spec.load_balancer_source_ranges ?? [];
        expect(ranges.length, `${svc.tfAddress}: an allowlist`).toBeGreaterThan(0);
        expect(svc.spec.external_traffic_policy, svc.tfAddress).toBe("Local");
        for (const port of (svc.spec.port as { protocol: string; port: number }[]).filter((p) => p.protocol === "UDP").map((p) => p.port)) {
          const admits = all("kubernetes_network_policy_v1").filter((np) =>
            (np.spec.ingress ?? []).some((rule: { ports?: { protocol: string; port: string }[] }) => (rule.ports ?? []).some((p) => p.protocol === "UDP" && Number(p.port) === port)),
          );
          expect(admits.length, `${svc.tfAddress}: one NetworkPolicy admits UDP ${port}`).toBe(1);
          const from = admits[0].spec.ingress.flatMap((rule: { from: { ip_block?: { cidr: string } }[] }) => rule.from.map((f) => f.ip_block?.cidr));
          expect(from.sort(), `${svc.tfAddress}: the NetworkPolicy admits the load balancer's ranges, nothing else`).toEqual([...ranges].sort());
          const cloud = spec.target.cloud;
          if (cloud === "aws") {
            const udp = all("aws_vpc_security_group_ingress_rule").filter((r) => r.ip_protocol === "udp" && r.from_port === port);
            expect(udp.length, "security group rules for the UDP port").toBeGreaterThan(0);
            for (const r of udp) expect(ranges, r.tfAddress).toContain(r.cidr_ipv4);
          } else if (cloud === "gcp") {
            const rules = all("google_compute_firewall").filter((f) => JSON.stringify(f.allow ?? f.deny).includes(`"${port}"`) && JSON.stringify(f.allow ?? f.deny).includes("udp"));
            const allow = rules.find((f) => f.allow);
            const deny = rules.find((f) => f.deny);
            expect(allow?.source_ranges, "a firewall allow for the peers").toEqual(expect.arrayContaining(ranges));
            expect([deny?.source_ranges, deny && allow && deny.priority > allow.priority && deny.priority < 999], "a firewall deny for everyone else, ahead of GKE's own allows").toEqual([["0.0.0.0/0"], true]);
          } else if (cloud === "azure") {
            const rules = all("azurerm_network_security_group").flatMap((nsg) => nsg.security_rule ?? []).filter((r) => r.protocol === "Udp" && r.destination_port_range === String(port));
            const allow = rules.find((r) => r.access === "Allow");
            const deny = rules.find((r) => r.access === "Deny");
            expect(allow?.source_address_prefixes, "an NSG allow for the peers").toEqual(expect.arrayContaining(ranges));
            expect([deny?.source_address_prefix, deny && allow && deny.priority > allow.priority], "an NSG deny for everyone else, after the allow").toEqual(["*", true]);
          }
        }
      }
    });

    test("every network has flow logs", each((stack) => {
      expect(stack.resources("aws_flow_log")).toHaveLength(stack.resources("aws_vpc").length);
      expect(stack.resources("azurerm_network_watcher_flow_log")).toHaveLength(stack.resources("azurerm_virtual_network").length);
      for (const s of stack.resources("google_compute_subnetwork")) expect(s.log_config, s.tfAddress).toBeDefined();
    }));
  });
});

function lower(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, v.toLowerCase()]));
}
