/** What every target's DNS gives the rest of the kit. */
export interface IDns {
  /** The private zone's name, resolvable inside the network. */
  readonly privateZoneName: string;
  /** The product's public domain, when the spec names one. */
  readonly domain?: string;
}
