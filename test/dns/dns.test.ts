import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { beforeAll, describe, expect, test } from "vitest";
import { parseSpec } from "../../lib/config/spec";
import { Naming } from "../../lib/core/naming";
import { AwsDns, type AwsDnsProps } from "../../lib/dns/aws";
import { synth, type StackJson } from "../support/synth";

describe("AwsDns", () => {
  let infra: StackJson;
  /** The statement of a policy document (referenced by `ref` to its json) with this sid. */
  const statement = (ref: string, sid: string, stack: StackJson = infra): Record<string, any> => {
    const document = stack.data("aws_iam_policy_document").find((d) => ref === stack.ref(d, "json"));
    expect(document, ref).toBeDefined();
    const found = document!.statement.filter((s: Record<string, unknown>) => s.sid === sid);
    expect(found, sid).toHaveLength(1);
    return found[0];
  };
  beforeAll(async () => {
    ({ infra } = await synth({
      name: "acme",
      target: { cloud: "aws", region: "us-west-2" },
      dns: { domain: "acme.example.com" },
    }));
  });

  test("the private zone is attached to the VPC and named after the domain", () => {
    const zone = infra.resource("aws_route53_zone", (z) => z.vpc !== undefined);
    expect(zone.name).toBe("internal.acme.example.com");
    expect(zone.vpc).toEqual([{ vpc_id: infra.ref(infra.resource("aws_vpc"), "id") }]);
  });

  test("a public zone for the domain, its name servers an output for delegation", () => {
    const zone = infra.resource("aws_route53_zone", (z) => z.vpc === undefined);
    expect(zone.name).toBe("acme.example.com");
    expect(infra.json.output.dns_public_zone_name_servers.value).toBe(infra.ref(zone, "name_servers"));
  });

  test("an ACM certificate for the domain and its wildcard, validated through DNS in the public zone", () => {
    const cert = infra.resource("aws_acm_certificate");
    expect(cert.domain_name).toBe("acme.example.com");
    expect(cert.subject_alternative_names).toEqual(["*.acme.example.com"]);
    expect(cert.validation_method).toBe("DNS");
    const zone = infra.resource("aws_route53_zone", (z) => z.vpc === undefined);
    const record = infra.resource("aws_route53_record");
    expect(record.zone_id).toBe(infra.ref(zone, "zone_id"));
    expect(record.for_each).toContain(`${cert.tfAddress}.domain_validation_options`);
    const validation = infra.resource("aws_acm_certificate_validation");
    expect(validation.certificate_arn).toBe(infra.ref(cert, "arn"));
    expect(validation.validation_record_fqdns).toContain(record.tfAddress);
  });

  test("the public zone's queries are logged to an encrypted log group in us-east-1, through a provider for that region", () => {
    const zone = infra.resource("aws_route53_zone", (z) => z.vpc === undefined);
    expect(infra.json.provider.aws).toContainEqual(expect.objectContaining({ alias: "us_east_1", region: "us-east-1" }));
    const group = infra.resource("aws_cloudwatch_log_group", (g) => g.name === "/aws/route53/acme.example.com");
    expect(group).toMatchObject({ provider: "aws.us_east_1", retention_in_days: 365 });
    const key = infra.resource("aws_kms_key", (k) => k.tags.Name === "acme-dns-query-logs");
    expect(group.kms_key_id).toBe(infra.ref(key, "arn"));
    expect(key).toMatchObject({ provider: "aws.us_east_1", enable_key_rotation: true, rotation_period_in_days: 365, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });
    expect(infra.resource("aws_kms_alias", (a) => a.name === "alias/acme-dns-query-logs")).toMatchObject({ provider: "aws.us_east_1", target_key_id: infra.ref(key, "key_id") });
    // CloudWatch Logs may use the key for this log group alone.
    const logs = statement(key.policy, "CloudWatchLogsForTheQueryLogGroup");
    expect(logs.principals).toEqual([{ type: "Service", identifiers: ["logs.us-east-1.amazonaws.com"] }]);
    expect(logs.condition).toHaveLength(1);
    expect(logs.condition[0]).toMatchObject({ test: "ArnEquals", variable: "kms:EncryptionContext:aws:logs:arn" });
    expect(logs.condition[0].values).toHaveLength(1);
    expect(logs.condition[0].values[0]).toMatch(/^arn:\$\{.+\}:logs:us-east-1:\$\{.+\}:log-group:\/aws\/route53\/acme\.example\.com$/);

    const policy = infra.resource("aws_cloudwatch_log_resource_policy");
    expect(policy).toMatchObject({ provider: "aws.us_east_1", policy_name: "acme-route53-query-logs" });
    const writes = statement(policy.policy_document, "Route53QueryLogsOfThisZone");
    expect(writes.principals).toEqual([{ type: "Service", identifiers: ["route53.amazonaws.com"] }]);
    expect(writes.actions).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    expect(writes.resources).toEqual([`${infra.ref(group, "arn")}:*`]);
    expect(writes.condition).toContainEqual({ test: "ArnEquals", variable: "aws:SourceArn", values: [infra.ref(zone, "arn")] });
    expect(writes.condition).toContainEqual(expect.objectContaining({ test: "StringEquals", variable: "aws:SourceAccount" }));

    const log = infra.resource("aws_route53_query_log");
    expect(log).toMatchObject({ zone_id: infra.ref(zone, "zone_id"), cloudwatch_log_group_arn: infra.ref(group, "arn") });
    expect(log.depends_on).toContain(policy.tfAddress);
  });

  test("DNSSEC is opt-in: no key-signing key by default", () => {
    expect(infra.resources("aws_route53_key_signing_key")).toEqual([]);
    expect(infra.resources("aws_route53_hosted_zone_dnssec")).toEqual([]);
    expect(infra.json.output.dns_public_zone_ds_record).toBeUndefined();
  });

  test("dnssec: the zone is signed with an ECC P-256 key in us-east-1 that only Route 53 DNSSEC may use, for this zone; the DS record is an output", async () => {
    const { infra: signed } = await synth({ name: "acme", target: { cloud: "aws", region: "us-west-2" }, dns: { domain: "acme.example.com", dnssec: true } });
    const zone = signed.resource("aws_route53_zone", (z) => z.vpc === undefined);
    const key = signed.resource("aws_kms_key", (k) => k.tags.Name === "acme-dnssec");
    expect(key).toMatchObject({
      provider: "aws.us_east_1",
      customer_master_key_spec: "ECC_NIST_P256",
      key_usage: "SIGN_VERIFY",
      deletion_window_in_days: 30,
      lifecycle: { prevent_destroy: true },
    });
    // KMS cannot rotate asymmetric keys.
    expect(key.enable_key_rotation).toBeUndefined();
    const sign = statement(key.policy, "Route53DnssecForThisZone", signed);
    expect(sign.principals).toEqual([{ type: "Service", identifiers: ["dnssec-route53.amazonaws.com"] }]);
    expect(sign.actions).toEqual(["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"]);
    expect(sign.condition).toContainEqual({ test: "ArnEquals", variable: "aws:SourceArn", values: [signed.ref(zone, "arn")] });
    expect(sign.condition).toContainEqual(expect.objectContaining({ test: "StringEquals", variable: "aws:SourceAccount" }));
    const grants = statement(key.policy, "Route53DnssecGrants", signed);
    expect(grants.actions).toEqual(["kms:CreateGrant"]);
    expect(grants.condition).toContainEqual({ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] });
    expect(grants.condition).toContainEqual({ test: "ArnEquals", variable: "aws:SourceArn", values: [signed.ref(zone, "arn")] });

    const ksk = signed.resource("aws_route53_key_signing_key");
    expect(ksk).toMatchObject({ hosted_zone_id: signed.ref(zone, "zone_id"), key_management_service_arn: signed.ref(key, "arn"), status: "ACTIVE" });
    expect(ksk.name).toMatch(/^\w{3,128}$/);
    const dnssec = signed.resource("aws_route53_hosted_zone_dnssec");
    expect(dnssec).toMatchObject({ hosted_zone_id: signed.ref(ksk, "hosted_zone_id"), signing_status: "SIGNING" });
    expect(dnssec.depends_on).toContain(ksk.tfAddress);
    expect(signed.json.output.dns_public_zone_ds_record.value).toBe(signed.ref(ksk, "ds_record"));
  });

  test("in us-east-1 the stack's own provider serves: no second provider", async () => {
    const { infra: east } = await synth({ name: "acme", target: { cloud: "aws", region: "us-east-1" }, dns: { domain: "acme.example.com", dnssec: true } });
    expect(east.json.provider.aws).toHaveLength(1);
    const group = east.resource("aws_cloudwatch_log_group", (g) => g.name === "/aws/route53/acme.example.com");
    expect(group.provider).toBeUndefined();
    expect(east.resource("aws_kms_key", (k) => k.tags.Name === "acme-dnssec").provider).toBeUndefined();
  });

  test("data.protection off: the query-log and DNSSEC keys can be destroyed", async () => {
    const { infra: dev } = await synth({
      name: "acme",
      environment: "development",
      target: { cloud: "aws", region: "us-west-2" },
      dns: { domain: "acme.example.com", dnssec: true },
      data: { protection: "disabled" },
    });
    for (const name of ["acme-dns-query-logs", "acme-dnssec"]) expect(dev.resource("aws_kms_key", (k) => k.tags.Name === name).lifecycle, name).toBeUndefined();
  });

  test("AwsDns alone refuses a domain in a stack outside us-east-1 without a provider for us-east-1, and dnssec without a domain", () => {
    const make = (props: Partial<AwsDnsProps>) => () => {
      const s = new TerraformStack(Testing.app(), "dns");
      new AwsProvider(s, "aws", { region: "eu-west-1" });
      new AwsDns(s, "Dns", { naming: new Naming("acme"), vpcId: "vpc-0123456789abcdef0", ...props });
    };
    expect(make({ domain: "acme.example.com" })).toThrow(
      "AwsDns dns/Dns: the public zone's query logs and DNSSEC key must be in us-east-1; pass usEast1Provider, an AWS provider for us-east-1 (the stack's is in eu-west-1)",
    );
    expect(make({ dnssec: true })).toThrow("AwsDns dns/Dns: dnssec signs the public zone, which needs a domain");
    expect(make({ domain: "acme.example.com", queryLogRetentionDays: 10 })).toThrow(/AwsDns dns\/Dns: queryLogRetentionDays must be one of 1, 3, 5, 7, 14, 30/);
    expect(make({})).not.toThrow();
  });

  test("the spec refuses dns.dnssec outside aws and without a domain", () => {
    expect(() => parseSpec({ name: "acme", target: { cloud: "gcp", region: "europe-west4" }, dns: { domain: "acme.example.com", dnssec: true } })).toThrow(
      "dns.dnssec: applies to aws only; gcp always signs the public zone with DNSSEC (got true)",
    );
    expect(() => parseSpec({ name: "acme", target: { cloud: "azure", region: "westeurope" }, dns: { domain: "acme.example.com", dnssec: true } })).toThrow(
      "dns.dnssec: applies to aws only; the kit does not sign azure zones (got true)",
    );
    expect(() => parseSpec({ name: "acme", target: { cloud: "aws", region: "us-west-2" }, dns: { dnssec: true } })).toThrow("dns.dnssec: needs dns.domain: DNSSEC signs the public zone (got true)");
    expect(parseSpec({ name: "acme", target: { cloud: "aws", region: "us-west-2" } }).dns.dnssec).toBe(false);
  });

  test("dns.queryLogs false: no query log, its group, key or policy; the us-east-1 provider only for a DNSSEC key", async () => {
    const quiet = async (dnssec: boolean) => (await synth({ name: "acme", target: { cloud: "aws", region: "eu-west-1" }, dns: { domain: "acme.example.com", queryLogs: false, dnssec } })).infra;
    for (const dnssec of [false, true]) {
      const stack = await quiet(dnssec);
      expect(stack.resources("aws_route53_query_log")).toEqual([]);
      expect(stack.resources("aws_cloudwatch_log_group").filter((g) => g.name.startsWith("/aws/route53/"))).toEqual([]);
      expect(stack.resources("aws_cloudwatch_log_resource_policy")).toEqual([]);
      expect(stack.resources("aws_kms_key").filter((k) => k.tags.Name === "acme-dns-query-logs")).toEqual([]);
      expect(stack.json.provider.aws.map((p: { region: string }) => p.region)).toEqual(dnssec ? ["eu-west-1", "us-east-1"] : ["eu-west-1"]);
    }
    expect(() => parseSpec({ name: "acme", target: { cloud: "gcp", region: "europe-west4" }, dns: { domain: "acme.example.com", queryLogs: false } })).toThrow(
      "dns.queryLogs: applies to aws only: it turns off Route 53's query logs, which go to us-east-1 (gcp's public zone logs queries to the project's Cloud Logging) (got false)",
    );
  });

  test("without a domain: only the private zone, named after the deployment", async () => {
    const { infra: bare } = await synth({ name: "acme", target: { cloud: "aws", region: "us-west-2" } });
    expect(bare.resources("aws_route53_zone").map((z) => z.name)).toEqual(["acme.internal"]);
    expect(bare.resources("aws_acm_certificate")).toEqual([]);
    expect(bare.resources("aws_route53_query_log")).toEqual([]);
    expect(bare.json.provider.aws).toHaveLength(1);
  });

  test('certificates "cert-manager" on AWS: a public zone, no ACM certificate', async () => {
    const { infra: cm } = await synth({
      name: "acme",
      target: { cloud: "aws", region: "us-west-2" },
      dns: { domain: "acme.example.com", certificates: "cert-manager" },
    });
    expect(cm.resources("aws_route53_zone")).toHaveLength(2);
    expect(cm.resources("aws_acm_certificate")).toEqual([]);
  });
});

describe("AzureDns", () => {
  test("a private zone linked to the VNet without auto-registration, and a public zone", async () => {
    const { infra } = await synth({ name: "acme", target: { cloud: "azure", region: "westeurope" }, dns: { domain: "acme.example.com" } });
    // The Key Vault's privatelink zone is the other private zone.
    const zone = infra.resource("azurerm_private_dns_zone", (z) => z.name === "internal.acme.example.com");
    const link = infra.resource("azurerm_private_dns_zone_virtual_network_link", (l) => l.private_dns_zone_name === infra.ref(zone, "name"));
    expect(link.virtual_network_id).toBe(infra.ref(infra.resource("azurerm_virtual_network"), "id"));
    expect(link.private_dns_zone_name).toBe(infra.ref(zone, "name"));
    expect(link.registration_enabled).toBe(false);
    expect(infra.resource("azurerm_dns_zone").name).toBe("acme.example.com");
    expect(infra.json.output.dns_public_zone_name_servers.value).toContain(`${infra.resource("azurerm_dns_zone").tfAddress}.name_servers`);
  });
});

describe("GcpDns", () => {
  test("a private zone visible to the VPC, and a public zone with DNSSEC and query logging", async () => {
    const { infra } = await synth({ name: "acme", target: { cloud: "gcp", region: "europe-west4", project: "acme-prod" }, dns: { domain: "acme.example.com" } });
    const priv = infra.resource("google_dns_managed_zone", (z) => z.visibility === "private");
    expect(priv.dns_name).toBe("internal.acme.example.com.");
    expect(priv.private_visibility_config.networks).toEqual([{ network_url: infra.ref(infra.resource("google_compute_network"), "id") }]);
    const pub = infra.resource("google_dns_managed_zone", (z) => z.visibility === "public");
    expect(pub.dns_name).toBe("acme.example.com.");
    expect(pub.dnssec_config.state).toBe("on");
    expect(pub.cloud_logging_config.enable_logging).toBe(true);
    expect(infra.json.output.dns_public_zone_name_servers.value).toBe(infra.ref(pub, "name_servers"));
  });
});
