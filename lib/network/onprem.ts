import { parseIpv4Cidr } from "../core/cidr";
import type { INetwork } from "./network";

export interface DeclaredNetworkProps {
  /** The cluster's node network, e.g. 10.100.0.0/16. */
  readonly cidr: string;
  /** Ranges of site-to-site peers. @default [] */
  readonly peerCidrs?: string[];
}

/**
 * On-prem: the network exists already, so nothing is created. The declared ranges
 * feed allowlists (NetworkPolicies, firewall rules) of later capabilities.
 */
export class DeclaredNetwork implements INetwork {
  readonly cidr: string;
  readonly zones: readonly string[] = [];
  readonly peerCidrs: readonly string[];

  constructor(props: DeclaredNetworkProps) {
    const check = (prop: string, cidr: string) => {
      if (!parseIpv4Cidr(cidr)) throw new Error(`DeclaredNetwork: ${prop} must be an IPv4 range such as 10.0.0.0/16 (got ${JSON.stringify(cidr)})`);
    };
    check("cidr", props.cidr);
    props.peerCidrs?.forEach((cidr, i) => check(`peerCidrs[${i}]`, cidr));
    this.cidr = props.cidr;
    this.peerCidrs = props.peerCidrs ?? [];
  }
}
