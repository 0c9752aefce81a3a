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

/**
 * The region Azure copies geo-redundant data of `region` to. Throws for a region
 * without a pair, naming the spec field: disaster recovery cannot work there.
 */
export function pairedRegion(region: string): string {
  const pair = PAIRS[region];
  if (!pair) {
    throw new Error(
      `data.disasterRecovery: ${region} has no Azure region pair, so neither PostgreSQL geo-redundant backups nor geo-redundant storage exist there; deploy to a paired region (e.g. westeurope, eastus2) or remove data.disasterRecovery`,
    );
  }
  return pair;
}
