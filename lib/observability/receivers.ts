/**
 * Where alerts go: each receiver's secret lives in the target's secret manager and is
 * named by reference only. In the cluster, Alertmanager reads it from a mounted file;
 * the clouds' own alarms (CloudWatch, Azure Monitor, Cloud Monitoring) route to the
 * same receivers.
 */
export interface AlertReceivers {
  /** A PagerDuty Events API v2 integration: the secret's JSON property `routingKey`. @default - none */
  readonly pagerduty?: { readonly secretRef: string };
  /** A Slack incoming webhook: the secret's JSON property `url`. @default - none */
  readonly slack?: { readonly secretRef: string; readonly channel?: string };
  /**
   * E-mail to `to` (addresses are not secret). Alertmanager sends through `smtp`, whose
   * password is the secret's JSON property `password` (Alertmanager reads only the
   * password from a file); the clouds' alarms mail `to` through their own service.
   * @default - none
   */
  readonly email?: {
    readonly to: string[];
    /** @default - no mail from Alertmanager: the cloud alarms only */
    readonly smtp?: { readonly smarthost: string; readonly from: string; readonly username?: string; readonly secretRef?: string };
  };
  /** An HTTPS endpoint receiving Alertmanager's webhook JSON: the secret's JSON property `url`. @default - none */
  readonly webhook?: { readonly secretRef: string };
}
