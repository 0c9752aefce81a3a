import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { synth } from "../support/synth";

const aws = { name: "acme", target: { cloud: "aws", region: "us-west-2" } };

describe("state backends", () => {
  test("local by default, one file per stack in the working directory, which the platform stack reads the infra state from", async () => {
    const { infra, platform } = await synth(aws);
    const here = (file: string) => join(process.cwd(), file);
    expect(infra.json.terraform.backend).toEqual({ local: { path: here("terraform.acme-aws-infra.tfstate") } });
    expect(platform.json.terraform.backend).toEqual({ local: { path: here("terraform.acme-aws-platform.tfstate") } });
    const [remote] = Object.values<{ backend: string; config: { path: string } }>(platform.json.data.terraform_remote_state);
    expect(remote).toMatchObject({ backend: "local", config: { path: here("terraform.acme-aws-infra.tfstate") } });
  });

  test("s3: encrypted, locked with S3's lock file, a key per stack", async () => {
    const { infra } = await synth({ ...aws, state: { backend: "s3", bucket: "acme-tfstate", kmsKeyId: "alias/tfstate" } });
    expect(infra.json.terraform.backend.s3).toEqual({
      bucket: "acme-tfstate",
      key: "acme/acme-aws-infra.tfstate",
      region: "us-west-2",
      encrypt: true,
      kms_key_id: "alias/tfstate",
      use_lockfile: true,
    });
  });

  test("s3 for a non-AWS target needs the bucket's region", async () => {
    await expect(synth({ name: "acme", target: { cloud: "onprem" }, state: { backend: "s3", bucket: "acme-tfstate" } })).rejects.toThrow("state.region: required when the target is not aws (the S3 bucket's region) (missing)");
  });

  test("azurerm: Entra ID auth, no account keys", async () => {
    const { platform } = await synth({
      name: "acme",
      target: { cloud: "azure", region: "westeurope" },
      state: { backend: "azurerm", resourceGroupName: "tfstate", storageAccountName: "acmetfstate", containerName: "tfstate", keyPrefix: "prod" },
    });
    expect(platform.json.terraform.backend.azurerm).toEqual({
      resource_group_name: "tfstate",
      storage_account_name: "acmetfstate",
      container_name: "tfstate",
      key: "prod/acme-azure-platform.tfstate",
      use_azuread_auth: true,
    });
  });

  test("gcs: a prefix per stack", async () => {
    const { infra } = await synth({ name: "acme", target: { cloud: "gcp", region: "europe-west4" }, state: { backend: "gcs", bucket: "acme-tfstate" } });
    expect(infra.json.terraform.backend.gcs).toEqual({ bucket: "acme-tfstate", prefix: "acme/acme-gcp-infra" });
  });
});
