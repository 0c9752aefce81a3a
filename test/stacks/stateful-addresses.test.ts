/**
 * The Terraform addresses of everything the kit protects (`prevent_destroy`: databases,
 * buckets, keys, vaults, clusters) in the embedded default deployment and every example,
 * pinned in stateful-addresses.json. A refactor that moves one would make Terraform plan
 * to destroy a user's data store and create an empty one: this test fails first.
 *
 * An intended move (a new stateful resource, a new example) is recorded with
 * `UPDATE_ADDRESSES=1 npx vitest run test/stacks/stateful-addresses.test.ts`; a moved
 * address also needs a `moved` block or a CHANGELOG entry telling users to `terraform state mv`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { defaultSpec, TARGET_CLOUDS } from "../../lib/config/defaults";
import { exampleSpecs, synth } from "../support/synth";

const PINNED = join(__dirname, "stateful-addresses.json");

async function protectedAddresses(input: unknown): Promise<Record<string, string[]>> {
  const stacks = await synth(input);
  return Object.fromEntries(
    Object.values(stacks).map((s) => [s.name, s.allResources().filter((r) => r.lifecycle?.prevent_destroy === true).map((r) => r.tfAddress).sort()]),
  );
}

test("the addresses of protected resources do not move", async () => {
  const current: Record<string, Record<string, string[]>> = {};
  for (const cloud of TARGET_CLOUDS) current[`default-${cloud}`] = await protectedAddresses(defaultSpec(cloud));
  for (const example of exampleSpecs()) current[example.name] = await protectedAddresses(example.path);

  if (process.env.UPDATE_ADDRESSES) writeFileSync(PINNED, `${JSON.stringify(current, null, 2)}\n`);
  const pinned = JSON.parse(readFileSync(PINNED, "utf8"));
  // Every pinned address still exists; new ones must be pinned too.
  expect(current).toEqual(pinned);
  expect(Object.values(current["default-aws"]).flat().length).toBeGreaterThan(5);
}, 180_000);
