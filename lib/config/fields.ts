import { z } from "zod";
import { aligned, isIpv4Address, isNetworkAligned, parseIpv4Cidr } from "../core/cidr";
import { REGION_FORMAT } from "./regions";

/** Field types shared by the spec's sections: each error says what is accepted. */

export const accepted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(", ");
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, what?: string) =>
  z.enum(values, { error: () => `${what ? `${what}: ` : ""}expected one of ${accepted(values)}` });

export const cidr = (what: string) =>
  z.string().superRefine((value, ctx) => {
    const block = parseIpv4Cidr(value);
    if (!block) ctx.addIssue({ code: "custom", message: `${what} must be an IPv4 CIDR block such as 10.0.0.0/16` });
    else if (!isNetworkAligned(block))
      ctx.addIssue({ code: "custom", message: `${what} has host bits set; did you mean ${aligned(block)}?` });
  });

/** The first and last address of a CIDR (`192.0.2.0/28`) or range (`192.0.2.10-192.0.2.20`), as integers. */
export function addressSpan(text: string): { first: number; last: number } | undefined {
  const [from, to] = text.split("-");
  if (to === undefined) {
    const block = parseIpv4Cidr(from);
    return block && { first: block.network, last: block.network + 2 ** (32 - block.prefix) - 1 };
  }
  const first = isIpv4Address(from) ? parseIpv4Cidr(`${from}/32`)?.network : undefined;
  const last = isIpv4Address(to) ? parseIpv4Cidr(`${to}/32`)?.network : undefined;
  return first === undefined || last === undefined ? undefined : { first, last };
}

const RANGE_FORM = /^\d+\.\d+\.\d+\.\d+(\/\d+|-\d+\.\d+\.\d+\.\d+)$/;

/** A load balancer address pool entry (MetalLB's form): a CIDR, or a first-last range that runs forwards. */
export const addressRange = z
  .string()
  .regex(RANGE_FORM, "must be a CIDR (192.0.2.0/28) or a range (192.0.2.10-192.0.2.20)")
  .superRefine((value, ctx) => {
    const add = (message: string) => ctx.addIssue({ code: "custom", message });
    if (!RANGE_FORM.test(value)) return;
    const span = addressSpan(value);
    if (!span) return add("is not made of IPv4 addresses (each number 0-255, a prefix 0-32)");
    const block = value.includes("-") ? undefined : parseIpv4Cidr(value);
    if (block && !isNetworkAligned(block)) return add(`has host bits set; did you mean ${aligned(block)}?`);
    if (span.first > span.last) {
      const [from, to] = value.split("-");
      add(`runs backwards: ${from} comes after ${to}; write ${to}-${from}`);
    }
  });

export const regionOf = (cloud: keyof typeof REGION_FORMAT) =>
  z.string().superRefine((value, ctx) => {
    const { pattern, example } = REGION_FORMAT[cloud];
    if (!pattern.test(value))
      ctx.addIssue({ code: "custom", message: `not a valid ${cloud} region name; expected the form "${example}"` });
  });

export const uuid = (what: string) =>
  z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, `${what} must be a GUID`);

/** Dash-separated lower-case name that fits every cloud's naming rules once prefixed. */
export const dnsLabel = (max: number) =>
  z
    .string()
    .regex(
      new RegExp(`^[a-z][a-z0-9-]{1,${max - 2}}[a-z0-9]$`),
      `must be 3-${max} characters of a-z, 0-9 and "-", starting with a letter and not ending with "-"`,
    );

export const hostname = z
  .string()
  .regex(
    /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/,
    "must be a lower-case DNS name such as app.example.com",
  );

/** A reference into the target cloud's secret manager: never the secret itself. */
export const SecretRef = z
  .object({
    secretRef: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,255}$/, "must be a secret name in the cloud's secret manager, e.g. vpn/hq-psk"),
  })
  .strict();

