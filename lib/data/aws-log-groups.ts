import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { Construct } from "constructs";

/**
 * The log groups a data service exports to (`<prefix>/<type>`), created before the
 * service with a retention and the logs key: otherwise the service creates them
 * itself, unencrypted and kept forever. Construct ids are `Logs-<type>`.
 */
export function serviceLogGroups(scope: Construct, prefix: string, types: readonly string[], retentionInDays: number, key: KmsKey): CloudwatchLogGroup[] {
  return types.map((type) => new CloudwatchLogGroup(scope, `Logs-${type}`, { name: `${prefix}/${type}`, retentionInDays, kmsKeyId: key.arn }));
}
