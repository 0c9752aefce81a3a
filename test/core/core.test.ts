import { describe, expect, test } from "vitest";
import { contains, host, isPublicAddress, overlaps, parseIpv4Cidr, subnet } from "../../lib/core/cidr";
import { Naming } from "../../lib/core/naming";
import { azurePlan } from "../../lib/network/plan";
import { gcpLabels } from "../../lib/core/tags";

const block = (s: string) => parseIpv4Cidr(s)!;

describe("cidr", () => {
  test("subnet is Terraform's cidrsubnet", () => {
    // Values as `terraform console` prints cidrsubnet("10.42.0.0/16", 3, 6) and friends.
    expect(subnet(block("10.42.0.0/16"), 19, 6)).toBe("10.42.192.0/19");
    expect(subnet(block("10.42.0.0/16"), 24, 255)).toBe("10.42.255.0/24");
    expect(subnet(block("172.16.0.0/20"), 23, 1)).toBe("172.16.2.0/23");
    expect(() => subnet(block("10.0.0.0/16"), 17, 2)).toThrow(RangeError);
  });

  test("overlap and containment", () => {
    expect(overlaps(block("10.0.0.0/16"), block("10.0.255.0/24"))).toBe(true);
    expect(overlaps(block("10.0.0.0/16"), block("10.1.0.0/16"))).toBe(false);
    expect(contains(block("10.0.0.0/8"), block("10.200.0.0/16"))).toBe(true);
    expect(contains(block("10.200.0.0/16"), block("10.0.0.0/8"))).toBe(false);
  });

  test("parsing refuses what is not an IPv4 block", () => {
    expect(parseIpv4Cidr("10.0.0.0")).toBeUndefined();
    expect(parseIpv4Cidr("10.0.0.0/33")).toBeUndefined();
    expect(parseIpv4Cidr("fd00::/8")).toBeUndefined();
    expect(parseIpv4Cidr("10.0.0/16")).toBeUndefined();
  });

  test("public addresses exclude private, shared, loopback and link-local space", () => {
    for (const a of ["10.1.1.1", "172.16.0.1", "192.168.1.1", "100.64.0.1", "127.0.0.1", "169.254.1.1", "224.0.0.1"]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
    expect(isPublicAddress("8.8.8.8")).toBe(true);
  });

  test("host addresses of a block", () => {
    expect(host("169.254.10.4/30", 1)).toEqual({ address: "169.254.10.5", withPrefix: "169.254.10.5/30" });
  });
});

describe("Naming", () => {
  test("names are <deployment>-<component>[-<suffix>]", () => {
    expect(new Naming("acme").name("vpc")).toBe("acme-vpc");
    expect(new Naming("acme").name("nat", "us-west-2a")).toBe("acme-nat-us-west-2a");
  });

  test("a name over the limit keeps its start and a stable hash, and stays unique", () => {
    const n = new Naming("a-rather-long-name");
    const a = n.name("component-with-long-name", "suffix-one", 32);
    const b = n.name("component-with-long-name", "suffix-two", 32);
    expect(a).toHaveLength(32);
    expect(a.startsWith("a-rather-long-name-compon")).toBe(true);
    expect(a).not.toBe(b);
    expect(n.name("component-with-long-name", "suffix-one", 32)).toBe(a);
  });

  test("compact names keep only lower-case letters and digits", () => {
    expect(new Naming("acme-prod").compact("flow-logs")).toBe("acmeprodflowlogs");
    expect(new Naming("acme-production-eu").compact("flowlogs", 16)).toMatch(/^[a-z0-9]{16}$/);
  });
});

describe("gcpLabels", () => {
  test("labels are lower-case, GCP's charset, and start with a letter", () => {
    expect(gcpLabels({ "Cost-Center": "4711", owner: "Platform Team" })).toEqual({ "cost-center": "4711", owner: "platform_team" });
    expect(gcpLabels({ "2fa": "on" })).toEqual({ t2fa: "on" });
  });
});

describe("address plans", () => {
  test("Azure's gateway subnet is the network's last block, at least a /27", () => {
    expect(azurePlan("10.60.0.0/16").gateway).toBe("10.60.255.0/24");
    expect(azurePlan("10.60.0.0/20")).toEqual({
      nodes: "10.60.0.0/22",
      privateEndpoints: "10.60.8.0/28",
      database: "10.60.8.16/28",
      apiServer: "10.60.8.32/28",
      gateway: "10.60.15.224/27",
    });
  });
});
