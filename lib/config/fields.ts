import { z } from "zod";
import { aligned, isNetworkAligned, parseIpv4Cidr } from "../core/cidr";
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

