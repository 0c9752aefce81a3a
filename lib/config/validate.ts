import type { z } from "zod";
import { contains, format, isPrivate, overlaps, parseIpv4Cidr, type Ipv4Block } from "../core/cidr";
import { knownZones, REGION_FORMAT, ZONE_FORMAT, type Cloud } from "./regions";
import { validateAudit } from "./audit";
import { validateCompliance } from "./compliance";
import { validateCluster } from "./validate-cluster";
import { validateData } from "./validate-data";
import { validateObservability } from "./observability";
import { validateSecureNodes } from "./secure-nodes";
import { validateTags } from "./validate-tags";

/** Our side's BGP ASN on each cloud's VPN gateway; a peer must use another. */
export const CLOUD_BGP_ASN = { aws: 64512, gcp: 64514 } as const;

/** The network prefixes the address plan supports: room for nodes, pods and data subnets. */
export const NETWORK_PREFIX = { min: 16, max: 20 } as const;

/** Link-local blocks AWS reserves for itself; tunnel inside ranges may not use them. */
const RESERVED_INSIDE = ["169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30",
  "169.254.4.0/30", "169.254.5.0/30", "169.254.169.252/30"];
const LINK_LOCAL = parseIpv4Cidr("169.254.0.0/16")!;

type Ctx = z.RefinementCtx;
type Path = (string | number)[];

// The spec as the field-level parse left it: a field may still hold a bad value, so
// every rule checks the shape it relies on before it looks.
interface Loose {
  target?: { cloud?: string; region?: string; keyVaultId?: string };
  state?: { backend?: string; region?: string };
  network?: {
    cidr?: string;
    zones?: number | string[];
    natGateways?: string;
    flowLogRetentionDays?: number;
    endpoints?: string[];
    peers?: { name?: string; cidrs?: string[]; psk?: { secretRef?: string }; bgpAsn?: number; tunnelInsideCidrs?: string[] }[];
  };
  dns?: { domain?: string; privateZone?: string; certificates?: string; queryLogs?: unknown; dnssec?: unknown };
  observability?: unknown;
}

/** Rules that relate fields to each other; each adds an issue at the offending path. */
export function validateSpec(spec: Loose, ctx: Ctx): void {
  validateCluster(spec, (i) => ctx.addIssue(i));
  validateData(spec, (i) => ctx.addIssue(i));
  validateObservability(spec, (i) => ctx.addIssue(i));
  validateSecureNodes(spec, (i) => ctx.addIssue(i));
  validateAudit(spec, (i) => ctx.addIssue(i));
  validateCompliance(spec, (i) => ctx.addIssue(i));
  validateTags(spec, (i) => ctx.addIssue(i));
  const issue = (path: Path, message: string) => ctx.addIssue({ code: "custom", path, message });
  const cloud = spec.target?.cloud;
  const net = spec.network ?? {};
  const vpc = typeof net.cidr === "string" ? parseIpv4Cidr(net.cidr) : undefined;

  if (vpc && (vpc.prefix < NETWORK_PREFIX.min || vpc.prefix > NETWORK_PREFIX.max)) {
    const size = vpc.prefix > NETWORK_PREFIX.max ? "too small" : "too large";
    issue(["network", "cidr"], `a /${vpc.prefix} network is ${size}; use a prefix from /${NETWORK_PREFIX.min} to /${NETWORK_PREFIX.max}, e.g. 10.0.0.0/16`);
  }
  if (vpc && !isPrivate(vpc)) {
    issue(["network", "cidr"], "must be a private range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10");
  }

  if (cloud === "onprem") {
    for (const field of ["zones", "natGateways", "endpoints"] as const) {
      if (net[field] !== undefined) issue(["network", field], "applies to cloud targets only; on-prem has no cloud network");
    }
    if (net.peers?.length) issue(["network", "peers"], "site-to-site VPN is built on cloud targets only; on-prem networks reach their peers through their own routers");
  } else if (cloud === "aws" || cloud === "azure" || cloud === "gcp") {
    validateZones(cloud, spec.target?.region, net.zones, issue);
    if (cloud === "azure" && typeof net.flowLogRetentionDays === "number" && net.flowLogRetentionDays > 365) {
      issue(["network", "flowLogRetentionDays"], "azure keeps flow logs for at most 365 days");
    }
    if (cloud === "gcp" && typeof net.flowLogRetentionDays === "number" && net.flowLogRetentionDays > 3650) {
      issue(["network", "flowLogRetentionDays"], "gcp log buckets keep logs for at most 3650 days");
    }
    if (cloud !== "aws") {
      if (net.natGateways !== undefined) issue(["network", "natGateways"], `applies to aws only; ${cloud} uses one regional NAT`);
      if (net.endpoints !== undefined) issue(["network", "endpoints"], `applies to aws only; ${cloud === "gcp" ? "gcp reaches Google APIs through Private Google Access" : "azure private endpoints come with each data service"}`);
    }
  }

  if (Array.isArray(net.peers)) validatePeers(cloud, spec, vpc, issue);

  if (spec.state?.backend === "s3" && !spec.state.region && cloud !== "aws") {
    issue(["state", "region"], "required when the target is not aws (the S3 bucket's region)");
  }

  const dns = spec.dns ?? {};
  if (dns.certificates === "acm" && cloud !== "aws") issue(["dns", "certificates"], `"acm" is available on aws only; use "cert-manager" on ${cloud}`);
  if (dns.certificates === "acm" && !dns.domain) issue(["dns", "certificates"], '"acm" needs dns.domain to issue a certificate for');
  if (dns.domain && dns.privateZone === dns.domain) issue(["dns", "privateZone"], "must differ from dns.domain (a split-horizon zone hides public records); e.g. internal." + dns.domain);
  if (dns.dnssec === true && cloud !== "aws") {
    issue(["dns", "dnssec"], cloud === "gcp" ? "applies to aws only; gcp always signs the public zone with DNSSEC" : `applies to aws only; the kit does not sign ${cloud} zones`);
  } else if (dns.dnssec === true && !dns.domain) {
    issue(["dns", "dnssec"], "needs dns.domain: DNSSEC signs the public zone");
  }
  if (dns.queryLogs === false && cloud !== "aws") {
    issue(["dns", "queryLogs"], `applies to aws only: it turns off Route 53's query logs, which go to us-east-1 (${cloud === "gcp" ? "gcp's public zone logs queries to the project's Cloud Logging" : `the kit keeps no query logs on ${cloud}`})`);
  }
}

function validateZones(cloud: Cloud, region: string | undefined, zones: number | string[] | undefined, issue: (p: Path, m: string) => void) {
  if (typeof region !== "string" || !REGION_FORMAT[cloud].pattern.test(region)) return;
  const known = knownZones(cloud, region);
  const min = cloud === "aws" ? 2 : 1;
  if (Array.isArray(zones)) {
    const pattern = ZONE_FORMAT[cloud](region);
    zones.forEach((z, i) => {
      if (!pattern.test(z)) issue(["network", "zones", i], `not a zone of ${region}; expected ${cloud === "azure" ? '"1", "2" or "3"' : `${cloud === "aws" ? region + "a" : region + "-a"} and the like`}`);
      else if (known && !known.includes(z)) issue(["network", "zones", i], `${region} has no zone ${z}; it has ${known.join(", ") || "no zones"}`);
      if (zones.indexOf(z) !== i) issue(["network", "zones", i], "is listed twice");
    });
    if (zones.length < min) issue(["network", "zones"], `${cloud} needs at least ${min} zones (EKS and load balancers span two)`);
    return;
  }
  if (!known) {
    issue(["target", "region"], `is not a region this version knows for ${cloud}; check the name, or list network.zones by name to use a new region`);
    return;
  }
  if (typeof zones === "number") {
    if (cloud === "azure" && known.length === 0) issue(["network", "zones"], `${region} has no availability zones; remove network.zones or pick a zonal region such as westeurope`);
    else if (zones > known.length) issue(["network", "zones"], `${region} has only ${known.length} zones (${known.join(", ")}); use at most ${known.length}`);
    else if (zones < min) issue(["network", "zones"], `${cloud} needs at least ${min} zones (EKS and load balancers span two)`);
  }
}

function validatePeers(cloud: string | undefined, spec: Loose, vpc: Ipv4Block | undefined, issue: (p: Path, m: string) => void) {
  const peers = spec.network!.peers!;
  const seenRanges: { block: Ipv4Block; where: string }[] = [];
  const seenInside: { block: Ipv4Block; where: string }[] = [];
  peers.forEach((peer, i) => {
    const at = (...rest: Path): Path => ["network", "peers", i, ...rest];
    if (peers.findIndex((p) => p.name === peer.name) !== i) issue(at("name"), "another peer has this name; peer names must be unique");
    (Array.isArray(peer.cidrs) ? peer.cidrs : []).forEach((c, j) => {
      const block = parseIpv4Cidr(c);
      if (!block) return;
      if (vpc && overlaps(block, vpc)) issue(at("cidrs", j), `overlaps network.cidr ${format(vpc)}; a peer's range must lie outside the network`);
      const clash = seenRanges.find((s) => overlaps(s.block, block));
      if (clash) issue(at("cidrs", j), `overlaps ${clash.where}; peer ranges must not overlap`);
      seenRanges.push({ block, where: `network.peers[${i}].cidrs[${j}] ${c}` });
    });
    if (peer.bgpAsn !== undefined && (cloud === "aws" || cloud === "gcp") && peer.bgpAsn === CLOUD_BGP_ASN[cloud]) {
      issue(at("bgpAsn"), `${peer.bgpAsn} is the ${cloud} gateway's own ASN; pick another`);
    }
    if (cloud === "gcp") {
      if (typeof peer.psk?.secretRef === "string" && !/^([A-Za-z0-9_-]{1,255}|projects\/[^/]+\/secrets\/[A-Za-z0-9_-]{1,255})$/.test(peer.psk.secretRef)) {
        issue(at("psk", "secretRef"), "Secret Manager secret ids are letters, digits, _ and - (or projects/<project>/secrets/<id>)");
      }
      if (peer.bgpAsn === undefined) issue(at("bgpAsn"), "required on gcp: HA VPN exchanges routes over BGP only");
      if (peer.tunnelInsideCidrs === undefined) issue(at("tunnelInsideCidrs"), "required on gcp: two link-local /30 ranges for the BGP sessions, e.g. [169.254.10.0/30, 169.254.10.4/30]");
    }
    if (cloud === "azure") {
      if (peer.bgpAsn !== undefined) issue(at("bgpAsn"), "BGP is not supported on azure by this version; remove it to route peer ranges statically");
      if (peer.tunnelInsideCidrs !== undefined) issue(at("tunnelInsideCidrs"), "applies to aws and gcp only");
      if (!spec.target?.keyVaultId) issue(at("psk"), "on azure, target.keyVaultId must name the Key Vault that holds this secret");
      if (typeof peer.psk?.secretRef === "string" && !/^[0-9A-Za-z-]{1,127}$/.test(peer.psk.secretRef)) {
        issue(at("psk", "secretRef"), "Key Vault secret names are 1-127 letters, digits and -");
      }
    }
    if (Array.isArray(peer.tunnelInsideCidrs) && peer.bgpAsn === undefined && cloud === "aws") {
      issue(at("tunnelInsideCidrs"), "only used for BGP sessions; set bgpAsn too or remove it");
    }
    (Array.isArray(peer.tunnelInsideCidrs) ? peer.tunnelInsideCidrs : []).forEach((c, j) => {
      const block = parseIpv4Cidr(c);
      if (!block) return;
      if (block.prefix !== 30 || !contains(LINK_LOCAL, block)) issue(at("tunnelInsideCidrs", j), "must be a /30 inside 169.254.0.0/16");
      else if (RESERVED_INSIDE.includes(c)) issue(at("tunnelInsideCidrs", j), `is reserved by the clouds; avoid ${RESERVED_INSIDE.join(", ")}`);
      const clash = seenInside.find((s) => overlaps(s.block, block));
      if (clash) issue(at("tunnelInsideCidrs", j), `overlaps ${clash.where}; each tunnel needs its own range`);
      seenInside.push({ block, where: `network.peers[${i}].tunnelInsideCidrs[${j}] ${c}` });
    });
  });
}
