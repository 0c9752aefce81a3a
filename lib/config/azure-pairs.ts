/**
 * Azure's region pairs: where geo-redundant storage and PostgreSQL geo-redundant
 * backups keep their copy. Azure picks the pair; a deployment cannot choose another
 * region. Most pairs are mutual; Brazil South, West India and West US 3 replicate to a
 * region that pairs with a third one. Newer regions (Italy North, Poland Central,
 * Spain Central, Israel Central, Mexico Central...) have no pair and therefore no
 * geo-redundant option at all.
 */
const PAIRS: Record<string, string> = {
  australiacentral: "australiacentral2",
  australiacentral2: "australiacentral",
  australiaeast: "australiasoutheast",
  australiasoutheast: "australiaeast",
  brazilsouth: "southcentralus",
  brazilsoutheast: "brazilsouth",
  canadacentral: "canadaeast",
  canadaeast: "canadacentral",
  centralindia: "southindia",
  southindia: "centralindia",
  westindia: "southindia",
  centralus: "eastus2",
  eastus2: "centralus",
  eastus: "westus",
  westus: "eastus",
  westus3: "eastus",
  northcentralus: "southcentralus",
  southcentralus: "northcentralus",
  westus2: "westcentralus",
  westcentralus: "westus2",
  eastasia: "southeastasia",
  southeastasia: "eastasia",
  francecentral: "francesouth",
  francesouth: "francecentral",
  germanywestcentral: "germanynorth",
  germanynorth: "germanywestcentral",
  japaneast: "japanwest",
  japanwest: "japaneast",
  jioindiawest: "jioindiacentral",
  jioindiacentral: "jioindiawest",
  koreacentral: "koreasouth",
  koreasouth: "koreacentral",
  northeurope: "westeurope",
  westeurope: "northeurope",
  norwayeast: "norwaywest",
  norwaywest: "norwayeast",
  southafricanorth: "southafricawest",
  southafricawest: "southafricanorth",
  swedencentral: "swedensouth",
  swedensouth: "swedencentral",
  switzerlandnorth: "switzerlandwest",
  switzerlandwest: "switzerlandnorth",
  uaenorth: "uaecentral",
  uaecentral: "uaenorth",
  uksouth: "ukwest",
  ukwest: "uksouth",
};

/** The region Azure copies geo-redundant data of `region` to; undefined for a region without a pair. */
export function azurePair(region: string): string | undefined {
  return PAIRS[region];
}

/** The pair of a region the spec was validated for (validate-data.ts refuses unpaired regions with DR). */
export function pairedRegion(region: string): string {
  const pair = PAIRS[region];
  if (!pair) throw new Error(`${region} has no Azure region pair; the spec's validation should have refused disaster recovery there`);
  return pair;
}
