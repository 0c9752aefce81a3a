import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { TerraformIterator, TerraformOutput, Token } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { AwsNetwork } from "../network/aws";
import type { IDns } from "./dns";

export interface AwsDnsProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly network: AwsNetwork;
}

/**
 * Route 53: a private zone attached to the VPC; with a domain, a public zone for it
 * (delegate to its name servers from the parent zone) and, when certificates are
 * "acm", a DNS-validated ACM certificate for the domain and its wildcard.
 */
export class AwsDns extends Construct implements IDns {
  readonly privateZone: Route53Zone;
  readonly privateZoneName: string;
  readonly domain?: string;
  readonly publicZone?: Route53Zone;
  /** The validated certificate's ARN (waits for validation), for load balancers. */
  readonly certificateArn?: string;

  constructor(scope: Construct, id: string, props: AwsDnsProps) {
    super(scope, id);
    setComponent(this, "dns");
    const { dns } = props.spec;
    this.privateZoneName = dns.privateZone;
    this.domain = dns.domain;
    this.privateZone = new Route53Zone(this, "PrivateZone", {
      name: dns.privateZone,
      comment: `${props.naming.deployment}: private names inside the VPC`,
      vpc: [{ vpcId: props.network.vpc.id }],
    });
    if (!dns.domain) return;

    this.publicZone = new Route53Zone(this, "PublicZone", {
      name: dns.domain,
      comment: `${props.naming.deployment}: public names of the product`,
    });
    const nameServers = new TerraformOutput(this, "public_zone_name_servers", {
      value: this.publicZone.nameServers,
      description: `Delegate ${dns.domain} to these name servers (NS records in the parent zone).`,
    });
    // A flat, documented output name, as modules name theirs.
    nameServers.overrideLogicalId("public_zone_name_servers");
    if (dns.certificates !== "acm") return;

    const cert = new AcmCertificate(this, "Certificate", {
      domainName: dns.domain,
      subjectAlternativeNames: [`*.${dns.domain}`],
      validationMethod: "DNS",
      keyAlgorithm: "EC_prime256v1",
      options: { certificateTransparencyLoggingPreference: "ENABLED" },
      lifecycle: { createBeforeDestroy: true },
      tags: { Name: props.naming.name("cert") },
    });
    // The apex and the wildcard share one validation record; allow_overwrite lets
    // both entries of the set write it.
    const options = TerraformIterator.fromComplexList(cert.domainValidationOptions, "domain_name");
    const records = new Route53Record(this, "CertificateValidationRecord", {
      forEach: options,
      zoneId: this.publicZone.zoneId,
      name: options.getString("resource_record_name"),
      type: options.getString("resource_record_type"),
      records: [options.getString("resource_record_value")],
      ttl: 300,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, "CertificateValidation", {
      certificateArn: cert.arn,
      validationRecordFqdns: Token.asList(TerraformIterator.fromResources(records).pluckProperty("fqdn")),
    });
    this.certificateArn = validation.certificateArn;
  }
}
