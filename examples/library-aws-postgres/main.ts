/**
 * Only a PostgreSQL database, in a VPC that already exists, given by ids: the kit's
 * hardened RDS settings (private, encrypted with your key, TLS forced, backed up,
 * protected from deletion) without the rest of the kit, and HIPAA's controls checked
 * at synth (a setting that breaks one fails `cdktf synth`).
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, Aspects, TerraformStack } from "cdktf";
import { ComplianceAspect, Naming } from "cdktf-byoc";
import { AwsPostgres } from "cdktf-byoc/lib/data/aws-postgres";
import { AwsNetwork } from "cdktf-byoc/lib/network/aws";

const app = new App();
const stack = new TerraformStack(app, "billing-db");
new AwsProvider(stack, "aws", { region: "us-east-2" });
Aspects.of(stack).add(new ComplianceAspect({ frameworks: ["hipaa"] }));

new AwsPostgres(stack, "Postgres", {
  naming: new Naming("billing"),
  network: AwsNetwork.fromVpcAttributes({
    vpcId: "vpc-0a1b2c3d4e5f60718",
    cidr: "10.10.0.0/16",
    privateSubnetIds: ["subnet-0aaa0000000000001", "subnet-0aaa0000000000002"],
    dataSubnetIds: ["subnet-0ddd0000000000001", "subnet-0ddd0000000000002"],
  }),
  clientSecurityGroupIds: ["sg-0c0c0c0c0c0c0c0c0"],
  key: { arn: "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
  secretsKey: { arn: "arn:aws:kms:us-east-2:111122223333:key/5678efgh-12ab-34cd-56ef-1234567890ab" },
  // Without it the log groups use CloudWatch's own key, and HIPAA's encryption control fails synth.
  logsKey: { arn: "arn:aws:kms:us-east-2:111122223333:key/9abc0123-12ab-34cd-56ef-1234567890ab" },
  storageGb: 200,
  ha: true,
});
app.synth();
