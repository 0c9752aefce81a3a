import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { DeploymentSpec } from "../lib/config/spec";
import { TIERS } from "../lib/config/tiers";
import type { AwsDataLayerProps } from "../lib/data/aws";
import type { IAwsKey } from "../lib/data/keys/aws";
import type { IAwsNetwork } from "../lib/network/aws";

/** What the AWS data layer takes from the rest of the infra stack. */
export interface AwsDataWiring {
  readonly network: IAwsNetwork;
  /** The deployment's keys (AwsKeys): `data`, `secrets`, `logs`, and `dataReplica` with disaster recovery. */
  readonly keys: {
    readonly data: IAwsKey;
    readonly secrets: IAwsKey;
    readonly logs: IAwsKey;
    readonly dataReplica?: IAwsKey;
    readonly accountId: string;
    readonly partition: string;
  };
  /** The EKS nodes' security group (pods share it). */
  readonly clientSecurityGroupIds: string[];
  /** The second region and its provider, when the spec copies backups there. @default - none */
  readonly disasterRecovery?: { readonly region: string; readonly provider: AwsProvider };
}

/**
 * The spec's data section as AwsDataLayer props: a store is given options only where
 * the spec turns it on, with the tier's sizes the spec resolved. The spec has backup
 * days for PostgreSQL only; DocumentDB and Redis keep as many.
 */
export function awsDataProps(spec: DeploymentSpec, wiring: AwsDataWiring): AwsDataLayerProps {
  const { data } = spec;
  const { keys } = wiring;
  let disasterRecovery: AwsDataLayerProps["disasterRecovery"];
  if (data.disasterRecovery) {
    if (!wiring.disasterRecovery || !keys.dataReplica) {
      throw new Error("data.disasterRecovery is set: the AWS data layer needs the disasterRecovery region, its provider and the data key's replica");
    }
    disasterRecovery = { ...wiring.disasterRecovery, key: keys.dataReplica };
  }
  const backupDays = data.postgres?.backupDays ?? TIERS[spec.tier].data.postgres.backupDays;
  return {
    network: wiring.network,
    clientSecurityGroupIds: wiring.clientSecurityGroupIds,
    key: keys.data,
    secretsKey: keys.secrets,
    logsKey: keys.logs,
    postgres: data.postgres,
    documents: data.documents && { ...data.documents, backupDays },
    redis: data.redis && { ...data.redis, snapshotDays: backupDays },
    buckets: { purposes: data.buckets, retentionDays: data.retentionDays },
    logRetentionDays: spec.network.flowLogRetentionDays,
    protection: data.protection,
    disasterRecovery,
    accountId: keys.accountId,
    partition: keys.partition,
  };
}
