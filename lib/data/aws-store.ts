import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Token } from "cdktf";
import type { IConstruct } from "constructs";
import { LOG_RETENTION_DAYS } from "../config/schema";
import type { Naming } from "../core/naming";
import type { IAwsNetwork } from "../network/aws";
import type { IAwsKey } from "./keys/aws";
import { label, requireProp } from "../core/validate";

/**
 * The second region copies are kept in: a provider configured for it and the key that
 * encrypts the copies there (the data key's replica, `AwsKeys.dataReplica`, or a key of
 * your own in that region).
 */
export interface AwsDisasterRecovery {
  readonly region: string;
  /** An aliased AWS provider for `region`. */
  readonly provider: AwsProvider;
  /** Encrypts the copies in `region`. */
  readonly key: IAwsKey;
}

/** What every AWS data store takes besides its own sizes. */
export interface AwsStoreProps {
  /** The store goes in its data subnets, its security group in its VPC. */
  readonly network: IAwsNetwork;
  /**
   * The security groups admitted on the store's port (e.g. the EKS nodes', which pods
   * share); nothing else is. A list of ids, each of which may be a reference.
   */
  readonly clientSecurityGroupIds: string[];
  /** Encrypts the store at rest, its snapshots and backups, and Performance Insights. */
  readonly key: IAwsKey;
  /**
   * Encrypts the store's CloudWatch log groups; its key policy must admit the
   * `logs.<region>.amazonaws.com` service (AwsKeys' `logs` key does).
   * @default - CloudWatch Logs' own encryption (AWS-owned keys)
   */
  readonly logsKey?: IAwsKey;
  /** Days the store's log groups keep events, one of CloudWatch's retention periods. @default 365 */
  readonly logRetentionDays?: number;
  /**
   * Deletion protection, `prevent_destroy` and a final snapshot. Turning it off is for
   * throwaway environments only.
   * @default true
   */
  readonly protection?: boolean;
  /** Names the store's resources. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** Days a data store's log groups keep events unless told otherwise (the spec's flow-log default). */
export const DEFAULT_LOG_RETENTION_DAYS = 365;




/** The props every store validates the same way: clients, data subnets and log retention. */
export function validateStoreProps(scope: IConstruct, props: AwsStoreProps): void {
  const clients = props.clientSecurityGroupIds;
  // A single list token cannot be turned into one ingress rule per group.
  if (Token.isUnresolved(clients)) {
    throw new Error(`${label(scope)}: clientSecurityGroupIds must be a list of ids (each may be a reference), not one list-valued reference`);
  }
  requireProp(scope, "clientSecurityGroupIds", clients, (ids: string[]) => ids.length > 0, "at least one security group id");
  requireProp(scope, "network.dataSubnetIds", props.network.dataSubnetIds, (ids: string[]) => ids.length > 0, "at least one subnet id");
  requireProp(scope, "logRetentionDays", props.logRetentionDays, (d: number) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `one of ${LOG_RETENTION_DAYS.join(", ")}`);
}
