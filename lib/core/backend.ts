import { resolve } from "node:path";
import { AzurermBackend, GcsBackend, LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import type { DeploymentSpec } from "../config/spec";

/**
 * Configures the stack's state backend from the spec. Every stack has its own state
 * object under one prefix. Remote backends encrypt and lock: S3 with its native lock
 * file (DynamoDB locking is deprecated), Azure with Entra ID auth instead of account keys.
 */
export function configureBackend(stack: TerraformStack, spec: DeploymentSpec, stackName: string): void {
  const state = spec.state;
  switch (state.backend) {
    case "local":
      // An absolute path (cdktf's own default): Terraform runs each stack in its own
      // directory, and the platform stack must find the infra stack's state from there.
      new LocalBackend(stack, { path: resolve(`terraform.${stackName}.tfstate`) });
      return;
    case "s3": {
      const backend = new S3Backend(stack, {
        bucket: state.bucket,
        key: `${state.keyPrefix ?? spec.name}/${stackName}.tfstate`,
        region: state.region ?? (spec.target.cloud === "aws" ? spec.target.region : undefined),
        encrypt: true,
        kmsKeyId: state.kmsKeyId,
      });
      backend.addOverride("use_lockfile", true);
      return;
    }
    case "azurerm":
      new AzurermBackend(stack, {
        resourceGroupName: state.resourceGroupName,
        storageAccountName: state.storageAccountName,
        containerName: state.containerName,
        key: `${state.keyPrefix ?? spec.name}/${stackName}.tfstate`,
        useAzureadAuth: true,
      });
      return;
    case "gcs":
      new GcsBackend(stack, { bucket: state.bucket, prefix: `${state.prefix ?? spec.name}/${stackName}` });
      return;
  }
}
