import { beforeAll, describe, expect, test } from "vitest";
import { synth, type StackJson } from "../support/synth";

describe("AwsDns", () => {
  let infra: StackJson;
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

  test("without a domain: only the private zone, named after the deployment", async () => {
    const { infra: bare } = await synth({ name: "acme", target: { cloud: "aws", region: "us-west-2" } });
    expect(bare.resources("aws_route53_zone").map((z) => z.name)).toEqual(["acme.internal"]);
    expect(bare.resources("aws_acm_certificate")).toEqual([]);
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
