import { DnsManagedZone } from "@cdktf/provider-google/lib/dns-managed-zone";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { setComponent } from "../core/tags";
import { resolveProject } from "../network/gcp-context";
import type { IDns } from "./dns";

export interface GcpDnsProps {
  /** The VPC the private zone is visible to: its id (`projects/<project>/global/networks/<name>`). */
  readonly networkId: string;
  /** The private zone's DNS name. @default - `internal.<domain>` with a domain, else `<deployment>.internal` */
  readonly privateZone?: string;
  /** The product's public domain: a public zone is created for it. @default - none: no public zone */
  readonly domain?: string;
  /** @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * Cloud DNS: a private zone visible to the VPC and, with a domain, a public zone with
 * DNSSEC and query logging on. Certificates come from cert-manager in the cluster.
 * Output: `public_zone_name_servers`, for the delegation.
 */
export class GcpDns extends Construct implements IDns {
  readonly privateZone: DnsManagedZone;
  readonly privateZoneName: string;
  readonly domain?: string;
  readonly publicZone?: DnsManagedZone;
  readonly project: string;

  constructor(scope: Construct, id: string, props: GcpDnsProps) {
    super(scope, id);
    if (props.domain && props.privateZone === props.domain) {
      throw new Error(`GcpDns ${this.node.path}: privateZone must differ from domain, or the private zone hides the public records (got ${JSON.stringify(props.privateZone)} for both); e.g. internal.${props.domain}`);
    }
    setComponent(this, "dns");
    const naming = namingOf(this, props.naming);
    this.project = resolveProject(this, props.project);
    this.domain = props.domain;
    this.privateZoneName = props.privateZone ?? (props.domain ? `internal.${props.domain}` : `${naming.deployment}.internal`);
    this.privateZone = new DnsManagedZone(this, "PrivateZone", {
      name: naming.name("private"),
      project: this.project,
      dnsName: `${this.privateZoneName}.`,
      description: "Private names inside the VPC",
      visibility: "private",
      privateVisibilityConfig: { networks: [{ networkUrl: props.networkId }] },
    });
    if (!this.domain) return;
    this.publicZone = new DnsManagedZone(this, "PublicZone", {
      name: naming.name("public"),
      project: this.project,
      dnsName: `${this.domain}.`,
      description: "Public names of the product",
      visibility: "public",
      dnssecConfig: { state: "on" },
      cloudLoggingConfig: { enableLogging: true },
    });
    constructOutput(this, "public_zone_name_servers", {
      value: this.publicZone.nameServers,
      description: `Delegate ${this.domain} to these name servers and publish its DS record in the parent zone.`,
    });
  }
}
