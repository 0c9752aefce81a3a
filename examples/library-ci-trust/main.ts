/**
 * Keyless CI for a vendor's repository `acme/byoc-deployments` on GitHub, which plans and
 * applies three deployments (deployments/<name>/byoc.yaml) into an AWS account and a GCP
 * project. Deploy this stack once, with administrator credentials, then copy its outputs
 * (`cdktf output acme-ci-trust` or `terraform output`) into the repository's variables:
 * BYOC_AWS_PLAN_ROLE_ARN, BYOC_AWS_APPLY_ROLE_ARN, BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER,
 * BYOC_GCP_PLAN_SERVICE_ACCOUNT, BYOC_GCP_APPLY_SERVICE_ACCOUNT.
 *
 * Plan jobs (pull requests, any branch) get read-only identities that can also take the
 * state lock; apply jobs get the apply identities only in the GitHub environments
 * byoc-dev, byoc-staging and byoc-prod, which carry the approvals.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { App } from "cdktf";
import type { CiTrustProps } from "cdktf-byoc/lib/ci/trust";
import { AwsCiTrust } from "cdktf-byoc/lib/ci/trust-aws";
import { GcpCiTrust } from "cdktf-byoc/lib/ci/trust-gcp";
import { CiTrustStack } from "cdktf-byoc/lib/ci/trust-stack";

const app = new App();
// This stack's own state sits next to the deployments' but outside their prefixes: plan
// identities cannot read it.
const stack = new CiTrustStack(app, "acme-ci-trust", {
  state: { backend: "s3", bucket: "acme-byoc-tfstate", region: "eu-central-1" },
  tags: { team: "platform" },
});
new AwsProvider(stack, "aws", { region: "eu-central-1" });
new GoogleProvider(stack, "google", { project: "acme-byoc-prod" });

const ci: CiTrustProps = {
  ci: "github",
  repository: "acme/byoc-deployments",
  // Pins the organization's numeric id too (GCP checks it): a re-created "acme" gets nothing.
  repositoryOwnerId: "81234567",
  deployments: ["dev", "staging", "prod"],
};

new AwsCiTrust(stack, "Aws", {
  ...ci,
  stateBucket: "acme-byoc-tfstate",
  stateKmsKeyArn: "arn:aws:kms:eu-central-1:111122223333:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
  // Apply may do what the deployer policy allows, and the roles it creates no more than the boundary.
  applyPolicyArns: ["arn:aws:iam::111122223333:policy/byoc-deployer"],
  permissionsBoundary: "arn:aws:iam::111122223333:policy/byoc-boundary",
  // An EKS cluster with its node groups can take longer than the default hour to apply.
  maxSessionDuration: 7200,
});

new GcpCiTrust(stack, "Gcp", { ...ci, stateBucket: "acme-byoc-tfstate-gcp" });

app.synth();
