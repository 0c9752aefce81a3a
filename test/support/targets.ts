import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import type { TerraformStack } from "cdktf";
import { AksCluster } from "../../lib/cluster/aks";
import { EksCluster } from "../../lib/cluster/eks";
import { Naming } from "../../lib/core/naming";
import type { IAwsDataLayer } from "../../lib/data/aws";
import type { IAzureDataLayer } from "../../lib/data/azure";
import type { BucketRef } from "../../lib/data/data";
import type { IGcpDataLayer } from "../../lib/data/gcp";
import { AzureKeys } from "../../lib/data/keys/azure";
import { AwsNetwork } from "../../lib/network/aws";
import type { IExternalSecrets } from "../../lib/platform/external-secrets";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import type { IPlatformTarget } from "../../lib/platform/target";
import { AwsPlatformTarget } from "../../lib/platform/targets/aws";
import { AzurePlatformTarget } from "../../lib/platform/targets/azure";
import { GcpPlatformTarget } from "../../lib/platform/targets/gcp";

/**
 * Real cloud platform targets around existing clusters, with a data layer that holds
 * only the given buckets: for tests of a platform component's bucket access (EKS Pod
 * Identity, AKS and GKE workload identity).
 */

export const naming = new Naming("acme");

export type TargetFactory = (s: TerraformStack) => { target: IPlatformTarget; secrets: IExternalSecrets };

/** A cloud target syncs no object-store keys: the pods sign in with their identity. */
export function noSecrets(s: TerraformStack): IExternalSecrets {
  const existing = s.node.tryFindChild("NoSecrets") as PlatformNamespace | undefined;
  return {
    release: (existing ?? new PlatformNamespace(s, "NoSecrets", { name: "no-secrets", naming, component: "none" })).namespace,
    sync: () => {
      throw new Error("a cloud target syncs no object-store keys");
    },
  };
}

const SUB = "/subscriptions/00000000-0000-4000-8000-000000000001";

export function cloudTargets(buckets: BucketRef[]): Record<"aws" | "azure" | "gcp", TargetFactory> {
  return {
    aws: (s) => {
      new AwsProvider(s, "aws", { region: "us-east-1" });
      const network = AwsNetwork.fromVpcAttributes({
        vpcId: "vpc-0123456789abcdef0",
        cidr: "10.20.0.0/16",
        privateSubnetIds: ["subnet-a", "subnet-b"],
        privateRouteTableIds: ["rtb-a", "rtb-b"],
        zones: ["us-east-1a", "us-east-1b"],
      });
      const key = (name: string) => ({ arn: `arn:aws:kms:us-east-1:111122223333:key/${name}` });
      const cluster = new EksCluster(s, "Cluster", { naming, network, secretsKey: key("secrets"), volumesKey: key("volumes") });
      const data: IAwsDataLayer = { stores: [], buckets, objectStore: { api: "s3", region: "us-east-1" }, key: key("data"), credentialSecretArns: [] };
      return { target: new AwsPlatformTarget(s, "Target", { naming, cluster, network, volumesKey: key("volumes"), data }), secrets: noSecrets(s) };
    },
    azure: (s) => {
      new AzurermProvider(s, "azurerm", { features: [{}] });
      const cluster = AksCluster.fromClusterAttributes({
        name: "shared",
        resourceGroupName: "aks-rg",
        location: "westeurope",
        oidcIssuerUrl: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/",
        host: "https://shared.privatelink.westeurope.azmk8s.io:443",
        clusterCaCertificate: "-----BEGIN CERTIFICATE-----",
      });
      const account = `${SUB}/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/acmedata`;
      const data: IAzureDataLayer = {
        stores: [],
        buckets,
        objectStore: { api: "azure-blob", endpoint: "https://acmedata.blob.core.windows.net/", account: "acmedata" },
        containerIds: Object.fromEntries(buckets.map((b) => [b.purpose, `${account}/blobServices/default/containers/${b.name}`])),
      };
      const secretsVault = AzureKeys.vaultFromId(`${SUB}/resourceGroups/sec/providers/Microsoft.KeyVault/vaults/acme-keys`);
      return { target: new AzurePlatformTarget(s, "Target", { naming, cluster, secretsVault, data, networkCidr: "10.40.0.0/16" }), secrets: noSecrets(s) };
    },
    gcp: (s) => {
      new GoogleProvider(s, "google", { project: "acme-prod", region: "europe-west4" });
      const cluster = {
        name: "main",
        distribution: "gke" as const,
        connection: { configPath: "~/.kube/config" },
        storageClass: "cmek-rwo",
        project: "acme-prod",
        location: "europe-west4",
        workloadPool: "acme-prod.svc.id.goog",
        diskEncryptionKey: "projects/acme-prod/locations/europe-west4/keyRings/acme/cryptoKeys/disks",
        nodeServiceAccountEmail: "gke-nodes@acme-prod.iam.gserviceaccount.com",
      };
      const data: IGcpDataLayer = { stores: [], buckets, objectStore: { api: "gcs" }, credentialSecrets: [] };
      const target = new GcpPlatformTarget(s, "Target", {
        naming,
        cluster,
        data,
        controlPlaneCidr: "172.16.0.32/28",
        networkCidr: "10.30.0.0/16",
        networkId: "projects/acme-prod/global/networks/shared",
        clusterCidrs: ["10.30.0.0/20", "10.30.128.0/17"],
      });
      return { target, secrets: noSecrets(s) };
    },
  };
}
