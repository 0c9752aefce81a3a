import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { Naming } from "../../lib/core/naming";
import { AwsCloudAlarms, type AwsCloudAlarmsProps } from "../../lib/observability/cloud/aws";
import type { AlertReceivers } from "../../lib/observability/receivers";
import { StackJson, type Block } from "../support/synth";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/alarms";
const receivers: AlertReceivers = {
  email: { to: ["oncall@example.com", "dba@example.com"], smtp: { smarthost: "smtp.example.com:587", from: "alerts@example.com", secretRef: "acme/smtp" } },
  pagerduty: { secretRef: "acme/pagerduty" },
  webhook: { secretRef: "acme/webhook" },
  slack: { secretRef: "acme/slack" },
};
const everything: Omit<AwsCloudAlarmsProps, "receivers" | "topicKeyArn"> = {
  postgres: { instanceId: "acme-postgres", allocatedStorageGb: 100, instanceClass: "db.t4g.medium", replicas: { reader: "acme-postgres-reader" } },
  documents: { instanceIds: ["acme-documents-0", "acme-documents-1"] },
  redis: { replicationGroupId: "acme-redis", cacheClusters: 2 },
  natGateways: { "us-east-1a": "nat-0aaa", "us-east-1b": "nat-0bbb" },
  vpnConnections: { hq: "vpn-0hq" },
  nodeGroups: { system: "eks-acme-system-asg" },
};

function synth(props: Partial<AwsCloudAlarmsProps> = {}): StackJson {
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  new AwsCloudAlarms(stack, "CloudAlarms", { naming: new Naming("acme"), receivers, topicKeyArn: KEY, ...everything, ...props });
  return new StackJson("test", JSON.parse(Testing.synth(stack)), stack);
}
const alarm = (json: StackJson, name: string): Block => json.resource("aws_cloudwatch_metric_alarm", (a) => a.alarm_name === name);

describe("AwsCloudAlarms", () => {
  const json = synth();
  const topic = json.resource("aws_sns_topic");

  test("one SNS topic, encrypted with the given key, is every alarm's ALARM and OK action", () => {
    expect(topic).toMatchObject({ name: "acme-alarms", kms_master_key_id: KEY });
    const alarms = json.resources("aws_cloudwatch_metric_alarm");
    expect(alarms.length).toBe(20);
    for (const a of alarms) {
      expect(a.alarm_actions, a.alarm_name).toEqual([json.ref(topic, "arn")]);
      expect(a.ok_actions, a.alarm_name).toEqual([json.ref(topic, "arn")]);
    }
  });

  test("PostgreSQL: CPU, free storage in bytes, connections against RDS's default max_connections, replica lag", () => {
    const dims = { DBInstanceIdentifier: "acme-postgres" };
    expect(alarm(json, "acme-postgres-cpu")).toMatchObject({ namespace: "AWS/RDS", metric_name: "CPUUtilization", statistic: "Average", dimensions: dims, comparison_operator: "GreaterThanThreshold", threshold: 80, period: 300, evaluation_periods: 3, datapoints_to_alarm: 3 });
    expect(alarm(json, "acme-postgres-free-storage")).toMatchObject({ metric_name: "FreeStorageSpace", statistic: "Minimum", dimensions: dims, comparison_operator: "LessThanThreshold", threshold: 15 * 1024 ** 3 });
    const connections = alarm(json, "acme-postgres-connections");
    expect(connections).toMatchObject({ metric_name: "DatabaseConnections", statistic: "Maximum", dimensions: dims });
    const type = json.data("aws_ec2_instance_type")[0];
    expect(type.instance_type).toBe("t4g.medium");
    expect(String(connections.threshold)).toContain(`${type.tfAddress}.memory_size`);
    expect(String(connections.threshold)).toMatch(/9531392.*5000/);
    expect(alarm(json, "acme-postgres-replica-reader-lag")).toMatchObject({ metric_name: "ReplicaLag", dimensions: { DBInstanceIdentifier: "acme-postgres-reader" }, threshold: 60 });
  });

  test("a given max_connections is used as is, with no instance-type lookup", () => {
    const given = synth({ postgres: { instanceId: "acme-postgres", allocatedStorageGb: 200, maxConnections: 400 } });
    expect(alarm(given, "acme-postgres-connections").threshold).toBe(320);
    expect(given.data("aws_ec2_instance_type")).toHaveLength(0);
  });

  test("DocumentDB: per instance CPU, connections as a percent of its own limit (metric math), replica lag in ms", () => {
    for (const i of [0, 1]) {
      const dims = { DBInstanceIdentifier: `acme-documents-${i}` };
      expect(alarm(json, `acme-documents-${i}-cpu`)).toMatchObject({ namespace: "AWS/DocDB", metric_name: "CPUUtilization", dimensions: dims, threshold: 80 });
      const connections = alarm(json, `acme-documents-${i}-connections`);
      expect(connections.threshold).toBe(80);
      expect(connections.metric_query).toEqual([
        expect.objectContaining({ id: "peak", metric: expect.objectContaining({ namespace: "AWS/DocDB", metric_name: "DatabaseConnectionsMax", dimensions: dims }) }),
        expect.objectContaining({ id: "limit", metric: expect.objectContaining({ metric_name: "DatabaseConnectionsLimit", dimensions: dims }) }),
        expect.objectContaining({ id: "percent", expression: "100 * peak / limit", return_data: true }),
      ]);
      expect(connections.metric_name).toBeUndefined();
      expect(alarm(json, `acme-documents-${i}-replica-lag`)).toMatchObject({ metric_name: "DBInstanceReplicaLag", dimensions: dims, threshold: 60000, treat_missing_data: "notBreaching" });
    }
  });

  test("ElastiCache: memory and evictions on every member cluster's node", () => {
    for (const n of [1, 2]) {
      const dims = { CacheClusterId: `acme-redis-00${n}`, CacheNodeId: "0001" };
      expect(alarm(json, `acme-redis-${n}-memory`)).toMatchObject({ namespace: "AWS/ElastiCache", metric_name: "DatabaseMemoryUsagePercentage", statistic: "Maximum", dimensions: dims, threshold: 90 });
      expect(alarm(json, `acme-redis-${n}-evictions`)).toMatchObject({ metric_name: "Evictions", statistic: "Sum", dimensions: dims, comparison_operator: "GreaterThanThreshold", threshold: 0 });
    }
  });

  test("NAT gateways: port allocation errors and dropped packets, per gateway", () => {
    expect(alarm(json, "acme-nat-us-east-1a-port-allocation")).toMatchObject({ namespace: "AWS/NATGateway", metric_name: "ErrorPortAllocation", statistic: "Sum", dimensions: { NatGatewayId: "nat-0aaa" }, threshold: 0 });
    expect(alarm(json, "acme-nat-us-east-1b-dropped-packets")).toMatchObject({ metric_name: "PacketsDropCount", dimensions: { NatGatewayId: "nat-0bbb" }, threshold: 100 });
  });

  test("VPN: TunnelState per connection, Maximum by default (no tunnel up), Minimum when every tunnel must be up; silence breaches", () => {
    expect(alarm(json, "acme-vpn-hq-tunnel-state")).toMatchObject({ namespace: "AWS/VPN", metric_name: "TunnelState", statistic: "Maximum", dimensions: { VpnId: "vpn-0hq" }, comparison_operator: "LessThanThreshold", threshold: 1, treat_missing_data: "breaching", evaluation_periods: 2 });
    expect(alarm(synth({ vpnAlarmOn: "tunnel" }), "acme-vpn-hq-tunnel-state").statistic).toBe("Minimum");
  });

  test("node groups: EC2 status checks over the group's Auto Scaling group", () => {
    expect(alarm(json, "acme-nodes-system-status-check")).toMatchObject({ namespace: "AWS/EC2", metric_name: "StatusCheckFailed", statistic: "Maximum", dimensions: { AutoScalingGroupName: "eks-acme-system-asg" }, comparison_operator: "GreaterThanOrEqualToThreshold", threshold: 1 });
  });

  test("receivers: an e-mail subscription per address, PagerDuty's CloudWatch endpoint and the webhook from Secrets Manager; no Slack", () => {
    const subs = json.resources("aws_sns_topic_subscription");
    for (const s of subs) expect(s.topic_arn).toBe(json.ref(topic, "arn"));
    expect(subs.filter((s) => s.protocol === "email").map((s) => s.endpoint).sort()).toEqual(["dba@example.com", "oncall@example.com"]);
    const secret = (ref: string) => json.data("aws_secretsmanager_secret_version").find((d) => d.secret_id === ref)!;
    const pagerduty = subs.find((s) => s.endpoint.startsWith("https://events.pagerduty.com/integration/"))!;
    expect(pagerduty).toMatchObject({ protocol: "https", endpoint_auto_confirms: true });
    expect(pagerduty.endpoint).toBe(`https://events.pagerduty.com/integration/\${jsondecode(${secret("acme/pagerduty").tfAddress}.secret_string).cloudIntegrationKey}/enqueue`);
    const webhook = subs.find((s) => s.protocol === "https" && s !== pagerduty)!;
    expect(webhook.endpoint).toBe(`\${jsondecode(${secret("acme/webhook").tfAddress}.secret_string).url}`);
    expect(subs).toHaveLength(4);
    expect(json.data("aws_secretsmanager_secret_version").map((d) => d.secret_id).sort()).toEqual(["acme/pagerduty", "acme/webhook"]);
  });

  test("no secret value is in the configuration: every https endpoint is a reference into a secret", () => {
    const text = JSON.stringify(json.json);
    expect(text).not.toMatch(/hooks\.slack\.com|acme\/slack|acme\/smtp/);
    for (const s of json.resources("aws_sns_topic_subscription").filter((s) => s.protocol === "https")) {
      expect(s.endpoint).toMatch(/\$\{jsondecode\(data\.aws_secretsmanager_secret_version\.[^)]+\.secret_string\)\.\w+\}/);
    }
  });

  test("thresholds are the props', and the PagerDuty key property can be renamed", () => {
    const custom = synth({ thresholds: { cpuPercent: 70, sustainMinutes: 30, cacheEvictions: 10 }, pagerdutyKeyProperty: "awsKey" });
    expect(alarm(custom, "acme-postgres-cpu")).toMatchObject({ threshold: 70, evaluation_periods: 6 });
    expect(alarm(custom, "acme-redis-1-evictions").threshold).toBe(10);
    expect(custom.resources("aws_sns_topic_subscription").some((s) => s.endpoint.includes(".secret_string).awsKey}"))).toBe(true);
  });

  test("with nothing to watch there is a topic and its subscriptions, and no alarm", () => {
    const stack = new TerraformStack(Testing.app(), "bare");
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    new AwsCloudAlarms(stack, "CloudAlarms", { naming: new Naming("acme"), receivers: { email: { to: ["a@example.com"] } }, topicKeyArn: KEY });
    const bare = new StackJson("bare", JSON.parse(Testing.synth(stack)), stack);
    expect(bare.resources("aws_cloudwatch_metric_alarm")).toHaveLength(0);
    expect(bare.resources("aws_sns_topic_subscription")).toHaveLength(1);
  });

  test.each([
    [{ thresholds: { cpuPercent: 0 } }, /thresholds\.cpuPercent must be a percentage above 0 and at most 100 \(got 0\)/],
    [{ thresholds: { sustainMinutes: 7 } }, /thresholds\.sustainMinutes must be one of 5, 15, 30, 60 \(minutes\) \(got 7\)/],
    [{ natGateways: { "Zone A": "nat-1" } }, /natGateways key must be 1-40 characters of a-z, 0-9 and "-" \(got "Zone A"\)/],
    [{ postgres: { instanceId: "db", allocatedStorageGb: 100 } }, /postgres needs maxConnections or instanceClass/],
    [{ redis: { replicationGroupId: "r", cacheClusters: 0 } }, /redis\.cacheClusters must be an integer from 1 to 6 \(got 0\)/],
    [{ vpnAlarmOn: "both" as "tunnel" }, /vpnAlarmOn must be "connection" or "tunnel" \(got "both"\)/],
  ])("refuses %j", (props, error) => {
    expect(() => synth(props as Partial<AwsCloudAlarmsProps>)).toThrow(error);
  });
});
