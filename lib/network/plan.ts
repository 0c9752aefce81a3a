import { parseIpv4Cidr, subnet } from "../core/cidr";
import { zoneSlot } from "../config/regions";

/**
 * Address plans: every subnet's range is a pure function of the network range and, on
 * AWS, the zone's letter. Adding a zone never moves an existing subnet, and the plan
 * shows literal ranges a reviewer can read. Offsets are relative to the network's
 * prefix (p), so a /16 and a /20 get the same shape at different sizes.
 */

/** AWS per zone: private (nodes, pods with the VPC CNI) /p+3; public and isolated data /p+6. */
export function awsPlan(cidr: string, zones: readonly string[]) {
  const net = parseIpv4Cidr(cidr)!;
  const p = net.prefix;
  // Slots 0-5 of /p+3 are the private subnets; slots 6-7 (the last quarter) hold
  // sixteen /p+6 blocks: public in 0-7, data in 8-15.
  const tail = parseIpv4Cidr(subnet(net, p + 2, 3))!;
  const byZone = (f: (slot: number) => string) => Object.fromEntries(zones.map((z) => [z, f(zoneSlot(z))]));
  return {
    private: byZone((s) => subnet(net, p + 3, s)),
    public: byZone((s) => subnet(tail, p + 6, s)),
    data: byZone((s) => subnet(tail, p + 6, 8 + s)),
  };
}

/** Azure: nodes get the first quarter (pods use the CNI overlay); fixed /p+8 blocks for the rest. */
export function azurePlan(cidr: string) {
  const net = parseIpv4Cidr(cidr)!;
  const p = net.prefix;
  return {
    nodes: subnet(net, p + 2, 0),
    privateEndpoints: subnet(net, p + 8, 128),
    database: subnet(net, p + 8, 129),
    // AKS API server VNet integration: a /28 delegated to the cluster (KMS with a private vault needs it).
    apiServer: subnet(parseIpv4Cidr(subnet(net, p + 8, 130))!, 28, 0),
    // At least a /27, as Azure recommends for VPN gateways; the network's last block.
    gateway: subnet(net, Math.min(p + 8, 27), 2 ** (Math.min(p + 8, 27) - p) - 1),
  };
}

/** GCP: nodes and services /p+4, pods the upper half, private service access /p+4. */
export function gcpPlan(cidr: string) {
  const net = parseIpv4Cidr(cidr)!;
  const p = net.prefix;
  return {
    nodes: subnet(net, p + 4, 0),
    services: subnet(net, p + 4, 1),
    privateServices: subnet(net, p + 4, 2),
    // A /28 for the GKE control plane's private endpoint.
    controlPlane: subnet(parseIpv4Cidr(subnet(net, p + 4, 3))!, 28, 0),
    pods: subnet(net, p + 1, 1),
  };
}
