import type { IConstruct } from "constructs";
import { requireProp } from "../../core/validate";

/**
 * When a cloud alarm fires, the same on every cloud: each store's and network's
 * metrics are compared with these. Load thresholds (CPU, storage, connections, cache
 * memory) must hold for `sustainMinutes`; outages (a tunnel or node down) must last two
 * 5-minute periods; losses (port allocation errors, dropped packets, evictions) alarm
 * on the first 5-minute period that has them.
 */
export interface CloudAlarmThresholds {
  /** CPU a database may use, in percent of its instance. @default 80 */
  readonly cpuPercent?: number;
  /** Storage a database may fill, in percent of its allocated disk. @default 85 */
  readonly storagePercent?: number;
  /** Connections a database may hold, in percent of its `max_connections`. @default 80 */
  readonly connectionsPercent?: number;
  /** Seconds a read replica may lag its primary. @default 60 */
  readonly replicaLagSeconds?: number;
  /** Memory a cache may fill, in percent of its `maxmemory`. @default 90 */
  readonly cacheMemoryPercent?: number;
  /** Keys a cache may evict in 5 minutes: sessions live in it, so any eviction loses some. @default 0 */
  readonly cacheEvictions?: number;
  /** Packets a NAT gateway may drop in 5 minutes (a few are transient; sustained drops lose connections). @default 100 */
  readonly natDroppedPackets?: number;
  /** Minutes a load threshold must be breached before it alarms: 5, 15, 30 or 60 (Azure Monitor's windows). @default 15 */
  readonly sustainMinutes?: number;
}

export const DEFAULT_THRESHOLDS: Required<CloudAlarmThresholds> = {
  cpuPercent: 80,
  storagePercent: 85,
  connectionsPercent: 80,
  replicaLagSeconds: 60,
  cacheMemoryPercent: 90,
  cacheEvictions: 0,
  natDroppedPackets: 100,
  sustainMinutes: 15,
};

/** The windows every cloud can hold a threshold over (Azure Monitor's metric alert windows). */
export const SUSTAIN_MINUTES: readonly number[] = [5, 15, 30, 60];

/** The period every alarm evaluates in, in seconds. */
export const PERIOD_SECONDS = 300;
/** Periods an outage must last before it alarms. */
export const OUTAGE_PERIODS = 2;

/** `given` over the defaults, each checked; errors name the prop (`thresholds.<name>`). */
export function resolveThresholds(scope: IConstruct, given: CloudAlarmThresholds = {}): Required<CloudAlarmThresholds> {
  const percent = (name: keyof CloudAlarmThresholds) =>
    requireProp(scope, `thresholds.${name}`, given[name], (v: number) => v > 0 && v <= 100, "a percentage above 0 and at most 100");
  const count = (name: keyof CloudAlarmThresholds) =>
    requireProp(scope, `thresholds.${name}`, given[name], (v: number) => Number.isInteger(v) && v >= 0, "a whole number, 0 or more");
  (["cpuPercent", "storagePercent", "connectionsPercent", "cacheMemoryPercent"] as const).forEach(percent);
  (["cacheEvictions", "natDroppedPackets"] as const).forEach(count);
  requireProp(scope, "thresholds.replicaLagSeconds", given.replicaLagSeconds, (v: number) => v > 0, "a number of seconds above 0");
  requireProp(scope, "thresholds.sustainMinutes", given.sustainMinutes, (v: number) => SUSTAIN_MINUTES.includes(v), `one of ${SUSTAIN_MINUTES.join(", ")} (minutes)`);
  return { ...DEFAULT_THRESHOLDS, ...definedOnly(given) };
}

/** Periods of PERIOD_SECONDS a load threshold must hold. */
export function sustainPeriods(thresholds: Required<CloudAlarmThresholds>): number {
  return (thresholds.sustainMinutes * 60) / PERIOD_SECONDS;
}

/**
 * The property of the PagerDuty receiver's secret the cloud side reads. Alertmanager
 * uses `routingKey`, an Events API v2 key; CloudWatch (through SNS), Azure Monitor and
 * Cloud Monitoring each post their own payload, which PagerDuty accepts only on a
 * service integration of that cloud's type (Amazon CloudWatch, Microsoft Azure, Google
 * Cloud Monitoring). A deployment runs on one cloud, so one property name serves all.
 */
export const PAGERDUTY_CLOUD_KEY_PROPERTY = "cloudIntegrationKey";

/** PagerDuty's endpoint for a cloud integration's key (the key is part of the URL). */
export function pagerdutyIntegrationUrl(integrationKey: string): string {
  return `https://events.pagerduty.com/integration/${integrationKey}/enqueue`;
}

/** `key` as a plain Terraform attribute name of a JSON secret, or a refusal naming the prop. */
export function requireSecretProperty(scope: IConstruct, prop: string, key: string | undefined): void {
  requireProp(scope, prop, key, (k: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k), "a JSON property name of letters, digits and _, not starting with a digit");
}

/** Keys of id maps name alarms and construct ids: lower-case letters, digits and "-", starting with a letter or digit. */
export function requireKeys(scope: IConstruct, maps: Record<string, Readonly<Record<string, string>> | undefined>): void {
  for (const [prop, map] of Object.entries(maps)) {
    for (const key of Object.keys(map ?? {})) {
      requireProp(scope, `${prop} key`, key, (k: string) => /^[a-z0-9][a-z0-9-]{0,39}$/.test(k), '1-40 characters of a-z, 0-9 and "-"');
    }
  }
}

/** An alarm's name suffix as a stable PascalCase construct id: `postgres-free-storage` is `PostgresFreeStorage`. */
export function constructId(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
