/**
 * Region formats and the zones each known region offers. Zones are named, not
 * counted, because resources are keyed by zone name: adding a zone later must not
 * renumber the ones already deployed. A well-formed region that is missing here
 * (a region launched after this table) is accepted when the spec lists its zones.
 */

export type Cloud = "aws" | "azure" | "gcp";

export const REGION_FORMAT: Record<Cloud, { pattern: RegExp; example: string }> = {
  aws: { pattern: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, example: "us-west-2" },
  azure: { pattern: /^[a-z]+\d?$/, example: "westeurope" },
  gcp: { pattern: /^[a-z]+-[a-z]+\d+$/, example: "europe-west4" },
};

/** How a zone name is written, given the region. */
export const ZONE_FORMAT: Record<Cloud, (region: string) => RegExp> = {
  aws: (region) => new RegExp(`^${region}[a-f]$`),
  azure: () => /^[1-3]$/,
  gcp: (region) => new RegExp(`^${region}-[a-f]$`),
};

const abc = ["a", "b", "c"];

/**
 * AWS zone letters per region, as offered to new accounts. (us-west-1 maps two of its
 * three letters per account: list its zones explicitly.)
 */
const AWS_ZONES: Record<string, string[]> = {
  "us-east-1": ["a", "b", "c", "d", "e", "f"],
  "us-east-2": abc,
  "us-west-2": ["a", "b", "c", "d"],
  "ca-central-1": ["a", "b", "d"],
  "ca-west-1": abc,
  "mx-central-1": abc,
  "sa-east-1": abc,
  "eu-west-1": abc,
  "eu-west-2": abc,
  "eu-west-3": abc,
  "eu-central-1": abc,
  "eu-central-2": abc,
  "eu-north-1": abc,
  "eu-south-1": abc,
  "eu-south-2": abc,
  "ap-east-1": abc,
  "ap-south-1": abc,
  "ap-south-2": abc,
  "ap-northeast-1": ["a", "c", "d"],
  "ap-northeast-2": ["a", "b", "c", "d"],
  "ap-northeast-3": abc,
  "ap-southeast-1": abc,
  "ap-southeast-2": abc,
  "ap-southeast-3": abc,
  "ap-southeast-4": abc,
  "ap-southeast-5": abc,
  "ap-southeast-7": abc,
  "me-south-1": abc,
  "me-central-1": abc,
  "il-central-1": abc,
  "af-south-1": abc,
  "us-gov-west-1": abc,
  "us-gov-east-1": abc,
};

/** Azure regions with availability zones "1", "2", "3". */
const AZURE_ZONAL = [
  "australiaeast", "austriaeast", "belgiumcentral", "brazilsouth", "canadacentral", "centralindia",
  "centralus", "chilecentral", "eastasia", "eastus", "eastus2", "francecentral", "germanywestcentral",
  "indonesiacentral", "israelcentral", "italynorth", "japaneast", "japanwest", "koreacentral",
  "malaysiawest", "mexicocentral", "newzealandnorth", "northeurope", "norwayeast", "polandcentral",
  "qatarcentral", "southafricanorth", "southcentralus", "southeastasia", "spaincentral",
  "swedencentral", "switzerlandnorth", "uaenorth", "uksouth", "westeurope", "westus2", "westus3",
];
/** Azure regions without availability zones: regional (non-zonal) resources only. */
const AZURE_NON_ZONAL = [
  "australiacentral", "australiasoutheast", "canadaeast", "francesouth", "germanynorth",
  "jioindiawest", "koreasouth", "northcentralus", "norwaywest", "southafricawest", "southindia",
  "switzerlandwest", "uaecentral", "ukwest", "westcentralus", "westindia", "westus",
];

/** GCP zone letters per region. */
const GCP_ZONES: Record<string, string[]> = {
  "us-central1": ["a", "b", "c", "f"],
  "us-east1": ["b", "c", "d"],
  "us-east4": abc,
  "us-east5": abc,
  "us-south1": abc,
  "us-west1": abc,
  "us-west2": abc,
  "us-west3": abc,
  "us-west4": abc,
  "northamerica-northeast1": abc,
  "northamerica-northeast2": abc,
  "southamerica-east1": abc,
  "europe-west1": ["b", "c", "d"],
  "europe-west2": abc,
  "europe-west3": abc,
  "europe-west4": abc,
  "europe-west6": abc,
  "europe-west8": abc,
  "europe-west9": abc,
  "europe-west10": abc,
  "europe-west12": abc,
  "europe-north1": abc,
  "europe-central2": abc,
  "europe-southwest1": abc,
  "asia-east1": abc,
  "asia-east2": abc,
  "asia-northeast1": abc,
  "asia-northeast2": abc,
  "asia-northeast3": abc,
  "asia-south1": abc,
  "asia-south2": abc,
  "asia-southeast1": abc,
  "asia-southeast2": abc,
  "australia-southeast1": abc,
  "australia-southeast2": abc,
  "me-west1": abc,
  "me-central1": abc,
  "me-central2": abc,
  "africa-south1": abc,
};

/**
 * The zone names a known region offers, in order; `undefined` for an unknown region.
 * An Azure region without zones returns an empty list.
 */
export function knownZones(cloud: Cloud, region: string): string[] | undefined {
  switch (cloud) {
    case "aws":
      return AWS_ZONES[region]?.map((l) => `${region}${l}`);
    case "gcp":
      return GCP_ZONES[region]?.map((l) => `${region}-${l}`);
    case "azure":
      if (AZURE_ZONAL.includes(region)) return ["1", "2", "3"];
      return AZURE_NON_ZONAL.includes(region) ? [] : undefined;
  }
}

/** The regions this version knows for a cloud. */
export function knownRegions(cloud: Cloud): string[] {
  return cloud === "aws" ? Object.keys(AWS_ZONES) : cloud === "gcp" ? Object.keys(GCP_ZONES) : [...AZURE_ZONAL, ...AZURE_NON_ZONAL];
}

/**
 * A zone's stable slot (0-5) in the address plan: its letter (or Azure number), so
 * `us-west-2c` always gets the third block whichever zones come before it.
 */
export function zoneSlot(zone: string): number {
  const last = zone.at(-1)!;
  return /\d/.test(last) ? Number(last) - 1 : last.charCodeAt(0) - "a".charCodeAt(0);
}
