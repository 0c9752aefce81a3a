import { Token } from "cdktf";
import { parseIpv4Cidr } from "../../core/cidr";
import type { UdpServiceRequest } from "../target";

/**
 * What every target checks before it opens a UDP port. An empty peer list would not
 * mean "nobody": a load balancer with no source ranges admits every address.
 */
export function checkUdpServiceRequest(target: string, request: UdpServiceRequest): void {
  const fail = (message: string): never => {
    throw new Error(`${target} udpService ${request.namespace}/${request.name}: ${message}`);
  };
  if (request.peers.length === 0) fail("peers must list at least one range: a load balancer without source ranges admits every address");
  request.peers.forEach((peer, i) => {
    if (!Token.isUnresolved(peer) && !parseIpv4Cidr(peer)) fail(`peers[${i}] must be an IPv4 range such as 198.51.100.0/24 (got ${JSON.stringify(peer)})`);
  });
  for (const key of ["udpPort", "healthPort"] as const) {
    const port = request[key];
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${key} must be a port from 1 to 65535 (got ${port})`);
  }
  if (!request.healthPath.startsWith("/")) fail(`healthPath must be an absolute HTTP path such as /health (got ${JSON.stringify(request.healthPath)})`);
}

/** Fixed addresses are Elastic IPs, an AWS feature: elsewhere peers allowlist the address the load balancer gets. */
export function refuseStaticAddresses(target: string, request: UdpServiceRequest): void {
  if (request.staticAddresses) {
    throw new Error(`${target} udpService ${request.namespace}/${request.name}: staticAddresses are Elastic IPs, on AWS only; peers allowlist the address the load balancer gets`);
  }
}

/** A peer range as a construct-id fragment (198.51.100.0/24 → 198-51-100-0-24); a reference keeps its position. */
export function peerKey(cidr: string, index: number): string {
  return Token.isUnresolved(cidr) ? String(index) : cidr.replace(/[./]/g, "-");
}
