import { resolve } from "node:path";
import { AzurermBackend, GcsBackend, LocalBackend, S3Backend, type TerraformStack } from "cdktf";

/** Where a stack's Terraform state lives (the spec's `state`, or your own). */
export type StateBackend =
  | { readonly backend: "local" }
  | {
      readonly backend: "s3";
      readonly bucket: string;
      /** @default - the AWS provider environment's region (AWS_REGION) */
      readonly region?: string;
      /** @default - the `prefix` given to configureBackend */
      readonly keyPrefix?: string;
      /** @default - the bucket's default encryption */
      readonly kmsKeyId?: string;
    }
  | {
      readonly backend: "azurerm";
      readonly resourceGroupName: string;
      readonly storageAccountName: string;
      readonly containerName: string;
      /** @default - the `prefix` given to configureBackend */
      readonly keyPrefix?: string;
    }
  | {
      readonly backend: "gcs";
      readonly bucket: string;
      /** @default - the `prefix` given to configureBackend */
      readonly prefix?: string;
    };

/**
 * Configures a stack's state backend. Every stack has its own state object,
 * `<prefix>/<stack id>.tfstate`. Remote backends encrypt and lock: S3 with its native
 * lock file (DynamoDB locking is deprecated; needs Terraform 1.10+), Azure with Entra ID
 * auth instead of account keys. `prefix` is used where the backend names none of its own
 * (the deployment name, so two deployments in one bucket never share state).
 */
export function configureBackend(stack: TerraformStack, state: StateBackend, prefix: string): void {
  const name = stack.node.id;
  switch (state.backend) {
    case "local":
      // An absolute path (cdktf's own default): Terraform runs each stack in its own
      // directory, and a platform stack must find its infra stack's state from there.
      new LocalBackend(stack, { path: resolve(`terraform.${name}.tfstate`) });
      return;
    case "s3": {
      const backend = new S3Backend(stack, {
        bucket: state.bucket,
        key: `${state.keyPrefix ?? prefix}/${name}.tfstate`,
        region: state.region,
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
        key: `${state.keyPrefix ?? prefix}/${name}.tfstate`,
        useAzureadAuth: true,
      });
      return;
    case "gcs":
      new GcsBackend(stack, { bucket: state.bucket, prefix: `${state.prefix ?? prefix}/${name}` });
      return;
  }
}
