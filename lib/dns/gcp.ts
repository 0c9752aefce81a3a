import { DnsManagedZone } from "@cdktf/provider-google/lib/dns-managed-zone";
import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { GcpNetwork } from "../network/gcp";
import type { IDns } from "./dns";

export interface GcpDnsProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly network: GcpNetwork;
  readonly project: string;
}

/**
 * Cloud DNS: a private zone visible to the VPC and, with a domain, a public zone with
 * DNSSEC and query logging on. Certificates come from cert-manager in the cluster.
 */
export class GcpDns extends Construct implements IDns {
  readonly privateZone: DnsManagedZone;
  readonly privateZoneName: string;
  readonly domain?: string;
  readonly publicZone?: DnsManagedZone;

  constructor(scope: Construct, id: string, props: GcpDnsProps) {
    super(scope, id);
    setComponent(this, "dns");
    const { dns } = props.spec;
    this.privateZoneName = dns.privateZone;
    this.domain = dns.domain;
    this.privateZone = new DnsManagedZone(this, "PrivateZone", {
      name: props.naming.name("private"),
      project: props.project,
      dnsName: `${dns.privateZone}.`,
      description: "Private names inside the VPC",
      visibility: "private",
      privateVisibilityConfig: { networks: [{ networkUrl: props.network.network.id }] },
    });
    if (!dns.domain) return;
    this.publicZone = new DnsManagedZone(this, "PublicZone", {
      name: props.naming.name("public"),
      project: props.project,
      dnsName: `${dns.domain}.`,
      description: "Public names of the product",
      visibility: "public",
      dnssecConfig: { state: "on" },
      cloudLoggingConfig: { enableLogging: true },
    });
    const nameServers = new TerraformOutput(this, "public_zone_name_servers", {
      value: this.publicZone.nameServers,
      description: `Delegate ${dns.domain} to these name servers and publish its DS record in the parent zone.`,
    });
    // A flat, documented output name, as modules name theirs.
    nameServers.overrideLogicalId("public_zone_name_servers");
  }
}
