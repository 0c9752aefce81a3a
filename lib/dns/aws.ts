import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { TerraformIterator, Token } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { setComponent } from "../core/tags";
import type { IDns } from "./dns";

export interface AwsDnsProps {
  /** The VPC the private zone is attached to. */
  readonly vpcId: string;
  /** The private zone's name. @default - `internal.<domain>` with a domain, else `<deployment>.internal` */
  readonly privateZone?: string;
  /** The product's public domain: a public zone is created for it. @default - none: no public zone */
  readonly domain?: string;
  /** With a domain, a DNS-validated ACM certificate for it and its wildcard (else cert-manager issues certificates in the cluster). @default true */
  readonly acmCertificate?: boolean;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * Route 53: a private zone attached to the VPC; with a domain, a public zone for it
 * (delegate to its name servers from the parent zone, output `public_zone_name_servers`)
 * and, unless `acmCertificate` is off, a DNS-validated ACM certificate for the domain
 * and its wildcard.
 */
export class AwsDns extends Construct implements IDns {
  readonly privateZone: Route53Zone;
  readonly privateZoneName: string;
  readonly domain?: string;
  readonly publicZone?: Route53Zone;
  /** The validated certificate's ARN (waits for validation), for load balancers. */
  readonly certificateArn?: string;

  readonly acmCertificate: boolean;

  constructor(scope: Construct, id: string, props: AwsDnsProps) {
    super(scope, id);
    const domain = props.domain;
    if (domain && props.privateZone === domain) {
      throw new Error(`AwsDns ${this.node.path}: privateZone must differ from domain, or the private zone hides the public records (got ${JSON.stringify(domain)} for both); e.g. internal.${domain}`);
    }
    setComponent(this, "dns");
    const naming = namingOf(this, props.naming);
    this.domain = domain;
    this.privateZoneName = props.privateZone ?? (domain ? `internal.${domain}` : `${naming.deployment}.internal`);
    this.acmCertificate = props.acmCertificate ?? true;
    this.privateZone = new Route53Zone(this, "PrivateZone", {
      name: this.privateZoneName,
      comment: `${naming.deployment}: private names inside the VPC`,
      vpc: [{ vpcId: props.vpcId }],
    });
    if (!domain) return;

    this.publicZone = new Route53Zone(this, "PublicZone", {
      name: domain,
      comment: `${naming.deployment}: public names of the product`,
    });
    constructOutput(this, "public_zone_name_servers", {
      value: this.publicZone.nameServers,
      description: `Delegate ${domain} to these name servers (NS records in the parent zone).`,
    });
    if (!this.acmCertificate) return;

    const cert = new AcmCertificate(this, "Certificate", {
      domainName: domain,
      subjectAlternativeNames: [`*.${domain}`],
      validationMethod: "DNS",
      keyAlgorithm: "EC_prime256v1",
      options: { certificateTransparencyLoggingPreference: "ENABLED" },
      lifecycle: { createBeforeDestroy: true },
      tags: { Name: naming.name("cert") },
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
