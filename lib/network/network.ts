/**
 * What every target's network gives the rest of the kit. Cloud-specific consumers (a
 * cluster on the same cloud) take the cloud's class for its ids; everything else takes
 * this interface.
 */
export interface INetwork {
  /** The network's address range (on-prem: the cluster's node network as declared). */
  readonly cidr: string;
  /** Zone names the network spans; empty where zones do not apply. */
  readonly zones: readonly string[];
  /** Ranges of site-to-site peers, for allowlists. */
  readonly peerCidrs: readonly string[];
}
