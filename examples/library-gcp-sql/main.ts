/**
 * Only a Cloud SQL for PostgreSQL instance, on a VPC that already exists and has private
 * service access, encrypted with a Cloud KMS key you already have: private IP only, TLS
 * required, IAM login, backups with point-in-time recovery, deletion protection.
 */
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { App, TerraformStack } from "cdktf";
import { Naming } from "cdktf-byoc";
import { GcpPostgres } from "cdktf-byoc/lib/data/gcp-postgres";
import { GcpNetwork } from "cdktf-byoc/lib/network/gcp";

const app = new App();
const stack = new TerraformStack(app, "ledger-db");
new GoogleProvider(stack, "google", { project: "ledger-prod-4711", region: "europe-west4" });

new GcpPostgres(stack, "Postgres", {
  naming: new Naming("ledger"),
  network: GcpNetwork.fromNetworkAttributes({
    networkId: "projects/ledger-prod-4711/global/networks/shared",
    cidr: "10.20.0.0/16",
    nodesSubnetId: "projects/ledger-prod-4711/regions/europe-west4/subnetworks/nodes",
    privateServiceRangeName: "shared-private-services",
    privateServiceCidr: "10.21.0.0/20",
  }),
  key: { id: "projects/ledger-prod-4711/locations/europe-west4/keyRings/ledger/cryptoKeys/sql" },
  ha: true,
});
app.synth();
