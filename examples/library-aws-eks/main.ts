/**
 * A network and an EKS cluster in a stack of your own, without a deployment spec: a
 * plain TerraformStack with your provider, the kit's tags as an aspect, and only the
 * props you care about (the rest default to the small tier).
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack } from "cdktf";
import { Naming, tagDeployment } from "cdktf-byoc";
import { EksCluster } from "cdktf-byoc/lib/cluster/eks";
import { AwsKeys } from "cdktf-byoc/lib/data/keys/aws";
import { AwsNetwork } from "cdktf-byoc/lib/network/aws";

const app = new App();
const stack = new TerraformStack(app, "shop-eks");
new AwsProvider(stack, "aws", { region: "eu-central-1" });
tagDeployment(stack, { deployment: "shop", environment: "staging", tags: { "cost-center": "42" } });

const naming = new Naming("shop");
const keys = new AwsKeys(stack, "Keys", { naming });
const network = new AwsNetwork(stack, "Network", { naming, cidr: "10.64.0.0/16", zones: ["eu-central-1a", "eu-central-1b"], logsKey: keys.logs });
new EksCluster(stack, "Cluster", {
  naming,
  network,
  secretsKey: keys.cluster,
  volumesKey: keys.volumes,
  logsKey: keys.logs,
  endpoint: "public-restricted",
  allowedCidrs: ["203.0.113.0/24"],
});
app.synth();
