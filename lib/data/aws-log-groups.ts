import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { Construct } from "constructs";
import type { IAwsKey } from "./keys/aws";

/**
 * The log groups a data service exports to (`<prefix>/<type>`), created before the
 * service with a retention and, given one, a customer-managed key: otherwise the service
 * creates them itself, kept forever. Construct ids are `Logs-<type>`.
 */
export function serviceLogGroups(scope: Construct, prefix: string, types: readonly string[], retentionInDays: number, key?: IAwsKey): CloudwatchLogGroup[] {
  return types.map((type) => new CloudwatchLogGroup(scope, `Logs-${type}`, { name: `${prefix}/${type}`, retentionInDays, kmsKeyId: key?.arn }));
}
