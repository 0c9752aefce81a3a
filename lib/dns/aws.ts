import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogResourcePolicy } from "@cdktf/provider-aws/lib/cloudwatch-log-resource-policy";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey, type KmsKeyConfig } from "@cdktf/provider-aws/lib/kms-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route53HostedZoneDnssec } from "@cdktf/provider-aws/lib/route53-hosted-zone-dnssec";
import { Route53KeySigningKey } from "@cdktf/provider-aws/lib/route53-key-signing-key";
import { Route53QueryLog } from "@cdktf/provider-aws/lib/route53-query-log";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { TerraformIterator, Token } from "cdktf";
import { Construct } from "constructs";
import { LOG_RETENTION_DAYS } from "../config/schema";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { providerRegion } from "../core/region";
import { setComponent } from "../core/tags";
import { label, requireProp } from "../core/validate";
import type { IDns } from "./dns";

/** Route 53 writes query logs to CloudWatch Logs in this region only, and DNSSEC signs with KMS keys there. */
export const ROUTE53_LOGS_REGION = "us-east-1";

export interface AwsDnsProps {
  /** The VPC the private zone is attached to. */
  readonly vpcId: string;
  /** The private zone's name. @default - `internal.<domain>` with a domain, else `<deployment>.internal` */
  readonly privateZone?: string;
  /** The product's public domain: a public zone is created for it. @default - none: no public zone */
  readonly domain?: string;
  /** With a domain, a DNS-validated ACM certificate for it and its wildcard (else cert-manager issues certificates in the cluster). @default true */
  readonly acmCertificate?: boolean;
  /**
   * An AWS provider configured for us-east-1: the public zone's query-log group, its
   * key and the DNSSEC key live there, whatever the stack's region.
   * @default - the stack's default AWS provider, which must then be in us-east-1
   */
  readonly usEast1Provider?: AwsProvider;
  /**
   * Logs the public zone's queries. Route 53 writes them only to us-east-1 (they carry
   * client subnets): a deployment that must keep personal data in another jurisdiction
   * turns them off. @default true
   */
  readonly queryLogs?: boolean;
  /** Days the public zone's query logs are kept, one of LOG_RETENTION_DAYS. @default 365 */
  readonly queryLogRetentionDays?: number;
  /**
   * Signs the public zone with DNSSEC (a key-signing key in KMS). Resolvers validate it
   * only once the DS record (output `public_zone_ds_record`) is added at the parent.
   * @default false
   */
  readonly dnssec?: boolean;
  /** `prevent_destroy` on the query-log and DNSSEC keys. @default true */
  readonly protection?: boolean;
  /** The account the keys and the log group belong to. @default - read with an `aws_caller_identity` data source */
  readonly accountId?: string;
  /** The AWS partition, for ARNs. @default - read with an `aws_partition` data source */
  readonly partition?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * Route 53: a private zone attached to the VPC; with a domain, a public zone for it
 * (delegate to its name servers from the parent zone, output `public_zone_name_servers`)
 * whose queries are logged to a KMS-encrypted CloudWatch log group in us-east-1 with a
 * retention, optionally signed with DNSSEC (output `public_zone_ds_record`, for the
 * parent), and, unless `acmCertificate` is off, a DNS-validated ACM certificate for the
 * domain and its wildcard.
 */
export class AwsDns extends Construct implements IDns {
  readonly privateZone: Route53Zone;
  readonly privateZoneName: string;
  readonly domain?: string;
  readonly publicZone?: Route53Zone;
  /** The validated certificate's ARN (waits for validation), for load balancers. */
  readonly certificateArn?: string;

  /** The public zone's query log group (us-east-1); undefined without a domain. */
  readonly queryLogGroup?: CloudwatchLogGroup;
  /** The key-signing key; undefined without `dnssec`. */
  readonly keySigningKey?: Route53KeySigningKey;

  readonly acmCertificate: boolean;
  readonly queryLogs: boolean;
  readonly queryLogRetentionDays: number;
  readonly dnssec: boolean;
  readonly protection: boolean;
  static readonly DEFAULT_QUERY_LOG_RETENTION_DAYS = 365;

  constructor(scope: Construct, id: string, props: AwsDnsProps) {
    super(scope, id);
    const domain = props.domain;
    if (domain && props.privateZone === domain) {
      throw new Error(`AwsDns ${this.node.path}: privateZone must differ from domain, or the private zone hides the public records (got ${JSON.stringify(domain)} for both); e.g. internal.${domain}`);
    }
    requireProp(this, "queryLogRetentionDays", props.queryLogRetentionDays, (d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `one of ${LOG_RETENTION_DAYS.join(", ")}`);
    if (props.dnssec && !domain) throw new Error(`${label(this)}: dnssec signs the public zone, which needs a domain`);
    if (domain && (props.queryLogs !== false || props.dnssec) && !props.usEast1Provider) {
      const region = providerRegion(this, "aws");
      if (region !== undefined && !Token.isUnresolved(region) && region !== ROUTE53_LOGS_REGION) {
        throw new Error(
          `${label(this)}: the public zone's query logs and DNSSEC key must be in ${ROUTE53_LOGS_REGION}; pass usEast1Provider, an AWS provider for ${ROUTE53_LOGS_REGION} (the stack's is in ${region})`,
        );
      }
    }
    setComponent(this, "dns");
    const naming = namingOf(this, props.naming);
    this.domain = domain;
    this.privateZoneName = props.privateZone ?? (domain ? `internal.${domain}` : `${naming.deployment}.internal`);
    this.acmCertificate = props.acmCertificate ?? true;
    this.queryLogs = props.queryLogs ?? true;
    this.queryLogRetentionDays = props.queryLogRetentionDays ?? AwsDns.DEFAULT_QUERY_LOG_RETENTION_DAYS;
    this.dnssec = props.dnssec ?? false;
    this.protection = props.protection ?? true;
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
    const zoneSecurity: ZoneSecurity = {
      zone: this.publicZone,
      domain,
      naming,
      provider: props.usEast1Provider,
      accountId: props.accountId ?? new DataAwsCallerIdentity(this, "Account").accountId,
      partition: props.partition ?? new DataAwsPartition(this, "Partition").partition,
    };
    if (this.queryLogs) this.queryLogGroup = this.queryLogging(zoneSecurity);
    if (this.dnssec) this.keySigningKey = this.signing(zoneSecurity);
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

  /**
   * Query logging: a log group in us-east-1 named as Route 53 expects
   * (`/aws/route53/<zone>`), kept `queryLogRetentionDays`, encrypted with a key of its
   * own there (CloudWatch Logs may use it for this log group alone), and the account's
   * CloudWatch Logs resource policy that lets Route 53 write into it for this zone only.
   * Each account has at most 10 such policies per region.
   */
  private queryLogging(z: ZoneSecurity): CloudwatchLogGroup {
    const { provider, partition, accountId, naming } = z;
    const name = `/aws/route53/${z.domain}`;
    const groupArn = `arn:${partition}:logs:${ROUTE53_LOGS_REGION}:${accountId}:log-group:${name}`;
    const key = this.key(z, "QueryLogs", naming.name("dns-query-logs"), "Route 53 query logs", {
      enableKeyRotation: true,
      rotationPeriodInDays: 365,
      statements: [
        {
          sid: "CloudWatchLogsForTheQueryLogGroup",
          principals: [{ type: "Service", identifiers: [`logs.${ROUTE53_LOGS_REGION}.amazonaws.com`] }],
          actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
          resources: ["*"],
          condition: [{ test: "ArnEquals", variable: "kms:EncryptionContext:aws:logs:arn", values: [groupArn] }],
        },
      ],
    });
    const group = new CloudwatchLogGroup(this, "QueryLogGroup", { provider, name, retentionInDays: this.queryLogRetentionDays, kmsKeyId: key.arn });
    const route53Writes = new DataAwsIamPolicyDocument(this, "QueryLogWriters", {
      statement: [
        {
          sid: "Route53QueryLogsOfThisZone",
          principals: [{ type: "Service", identifiers: ["route53.amazonaws.com"] }],
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [`${group.arn}:*`],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] },
            { test: "ArnEquals", variable: "aws:SourceArn", values: [z.zone.arn] },
          ],
        },
      ],
    });
    const policy = new CloudwatchLogResourcePolicy(this, "QueryLogPolicy", {
      provider,
      policyName: naming.name("route53-query-logs", undefined, 255),
      policyDocument: route53Writes.json,
    });
    new Route53QueryLog(this, "QueryLog", { zoneId: z.zone.zoneId, cloudwatchLogGroupArn: group.arn, dependsOn: [policy] });
    return group;
  }

  /**
   * DNSSEC: an asymmetric ECC_NIST_P256 key in us-east-1 (KMS cannot rotate asymmetric
   * keys: a new key-signing key replaces it), usable by Route 53's DNSSEC service for
   * this zone only, the zone's key-signing key on it, and signing. Outputs the DS
   * record for the parent zone.
   */
  private signing(z: ZoneSecurity): Route53KeySigningKey {
    const { accountId, naming } = z;
    const forThisZone = [
      { test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] },
      { test: "ArnEquals", variable: "aws:SourceArn", values: [z.zone.arn] },
    ];
    const dnssecService = [{ type: "Service", identifiers: ["dnssec-route53.amazonaws.com"] }];
    const key = this.key(z, "Dnssec", naming.name("dnssec"), `DNSSEC key-signing key of ${z.domain}`, {
      customerMasterKeySpec: "ECC_NIST_P256",
      keyUsage: "SIGN_VERIFY",
      statements: [
        {
          sid: "Route53DnssecForThisZone",
          principals: dnssecService,
          actions: ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
          resources: ["*"],
          condition: forThisZone,
        },
        {
          sid: "Route53DnssecGrants",
          principals: dnssecService,
          actions: ["kms:CreateGrant"],
          resources: ["*"],
          condition: [...forThisZone, { test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }],
        },
      ],
    });
    // Letters, digits and underscores only, unique within the zone.
    const ksk = new Route53KeySigningKey(this, "KeySigningKey", { hostedZoneId: z.zone.zoneId, keyManagementServiceArn: key.arn, name: "ksk", status: "ACTIVE" });
    new Route53HostedZoneDnssec(this, "Dnssec", { hostedZoneId: ksk.hostedZoneId, signingStatus: "SIGNING", dependsOn: [ksk] });
    constructOutput(this, "public_zone_ds_record", {
      value: ksk.dsRecord,
      description: `Add this DS record for ${z.domain} at the parent zone (or the registrar) once the delegation works; until then resolvers do not validate the signatures.`,
    });
    return ksk;
  }

  /** A key in us-east-1 that the account administers through IAM, with the service statements given. */
  private key(
    z: ZoneSecurity,
    id: string,
    name: string,
    purpose: string,
    opts: Pick<KmsKeyConfig, "enableKeyRotation" | "rotationPeriodInDays" | "customerMasterKeySpec" | "keyUsage"> & { statements: DataAwsIamPolicyDocumentStatement[] },
  ): KmsKey {
    const { statements, ...spec } = opts;
    const policy = new DataAwsIamPolicyDocument(this, `${id}KeyPolicy`, {
      statement: [
        {
          sid: "AccountIamAdministers",
          principals: [{ type: "AWS", identifiers: [`arn:${z.partition}:iam::${z.accountId}:root`] }],
          actions: ["kms:*"],
          resources: ["*"],
        },
        ...statements,
      ],
    });
    const key = protect(
      new KmsKey(this, `${id}Key`, { provider: z.provider, description: `${name}: ${purpose}`, deletionWindowInDays: 30, policy: policy.json, tags: { Name: name }, ...spec }),
      this.protection,
    );
    new KmsAlias(this, `${id}KeyAlias`, { provider: z.provider, name: `alias/${name}`, targetKeyId: key.keyId });
    return key;
  }
}

/** What query logging and DNSSEC share: the public zone and where its us-east-1 resources go. */
interface ZoneSecurity {
  readonly zone: Route53Zone;
  readonly domain: string;
  readonly naming: Naming;
  /** undefined: the stack's default provider, in us-east-1. */
  readonly provider?: AwsProvider;
  readonly accountId: string;
  readonly partition: string;
}
