import type { DeploymentSpec } from "../config/spec";
import type { INetwork } from "./network";

/**
 * On-prem: the network exists already, so nothing is created. The declared ranges
 * feed allowlists (NetworkPolicies, firewall rules) of later capabilities.
 */
export class DeclaredNetwork implements INetwork {
  readonly cidr: string;
  readonly zones: readonly string[] = [];
  readonly peerCidrs: readonly string[];

  constructor(spec: DeploymentSpec) {
    this.cidr = spec.network.cidr;
    this.peerCidrs = spec.network.peers.flatMap((p) => p.cidrs);
  }
}
