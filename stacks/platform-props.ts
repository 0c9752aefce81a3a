import type { DeploymentSpec } from "../lib/config/spec";
import type { PlatformProps } from "../lib/platform/platform";

/**
 * The Platform's props from the spec, on every target; the stack adds its target:
 * `new Platform(stack, "Platform", { ...platformProps(spec), target })`. The naming is
 * the platform stack's.
 */
export function platformProps(spec: DeploymentSpec): Omit<PlatformProps, "target"> {
  const { platform, dns, network, vpn } = spec;
  const { gitops } = platform;
  const remoteAccess = vpn.remoteAccess;
  return {
    highAvailability: spec.tier !== "small",
    ingress: platform.ingress,
    policy: platform.policy,
    tenants: platform.tenants,
    gitops: gitops && { repo: gitops.repo, path: gitops.path, revision: gitops.revision, credentialsSecret: gitops.credentials?.secretRef },
    peerCidrs: network.peers.flatMap((peer) => peer.cidrs),
    hostnames: dns.domain ? [dns.domain, `*.${dns.domain}`] : [`*.${dns.privateZone}`],
    remoteAccess: remoteAccess && { network: remoteAccess.network, tokensSecret: remoteAccess.tokens.secretRef },
  };
}
