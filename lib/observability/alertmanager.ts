import type { AlertReceivers } from "./receivers";

/**
 * The Alertmanager release the kit runs (quay.io/prometheus/alertmanager), pinned over
 * kube-prometheus-stack's default so the config is validated by `amtool check-config`
 * of exactly this version (the tests build amtool at it from the Go module proxy).
 */
export const ALERTMANAGER_VERSION = "v0.35.0";

/** Where the Prometheus operator mounts each Secret of `alertmanagerSpec.secrets`: `<dir>/<secret>/<key>`. */
export const ALERTMANAGER_SECRET_DIR = "/etc/alertmanager/secrets";

/** A receiver's Secret, synced by External Secrets and mounted into Alertmanager. */
export interface ReceiverSecret {
  /** The Kubernetes Secret (and its mount directory). */
  readonly name: string;
  /** The secret manager's key (the spec's `secretRef`). */
  readonly remoteKey: string;
  /** Secret key (the file name) to JSON property of the remote value. */
  readonly properties: Record<string, string>;
}

/** Each channel's secret: the Kubernetes Secret, its one key (the file), and the remote value's JSON property. */
const SECRETS = {
  pagerduty: { name: "alertmanager-pagerduty", key: "routing-key", property: "routingKey" },
  slack: { name: "alertmanager-slack", key: "url", property: "url" },
  email: { name: "alertmanager-email", key: "password", property: "password" },
  webhook: { name: "alertmanager-webhook", key: "url", property: "url" },
} as const;

/** The receivers' Secrets, one per channel that has one; the file each config field reads is `<dir>/<name>/<key>`. */
export function receiverSecrets(receivers: AlertReceivers): ReceiverSecret[] {
  const { pagerduty, slack, email, webhook } = receivers;
  const remoteKeys: [keyof typeof SECRETS, string | undefined][] = [
    ["pagerduty", pagerduty?.secretRef],
    ["slack", slack?.secretRef],
    ["email", email?.smtp?.secretRef],
    ["webhook", webhook?.secretRef],
  ];
  return remoteKeys.flatMap(([channel, remoteKey]) => {
    const { name, key, property } = SECRETS[channel];
    return remoteKey ? [{ name, remoteKey, properties: { [key]: property } }] : [];
  });
}

/** Receivers that page (critical alerts) and that notify (everything else worth a message). */
const PAGE = "critical";
const NOTIFY = "default";
/** Alertmanager's conventional sink: alerts routed here are kept in the UI and sent nowhere. */
const NULL = "null";

/**
 * The whole Alertmanager configuration for `receivers`, with every secret read from a
 * file under `secretDir` (PagerDuty's `routing_key_file`, Slack's `api_url_file`, the
 * SMTP `auth_password_file`, the webhook's `url_file`), so no secret is in it. E-mail
 * needs `email.smtp`: Alertmanager reads only the password from a file, so the relay
 * and sender are plain settings; without it only the clouds' alarms mail `email.to`.
 *
 * Routing: Watchdog and InfoInhibitor (kube-prometheus' always-firing heartbeat and
 * inhibitor) and `severity=info` go to `null`; `severity=critical` goes to every
 * channel, PagerDuty included; anything else to the channels that do not page, or to
 * PagerDuty when it is the only one. Without receivers every alert goes to `null`: it
 * is visible in Alertmanager and Grafana but reaches no one.
 */
export function alertmanagerConfig(receivers: AlertReceivers, secretDir: string = ALERTMANAGER_SECRET_DIR): Record<string, unknown> {
  const file = (channel: keyof typeof SECRETS) => `${secretDir}/${SECRETS[channel].name}/${SECRETS[channel].key}`;
  const { pagerduty, slack, email, webhook } = receivers;
  const paging = pagerduty ? { pagerduty_configs: [{ routing_key_file: file("pagerduty"), send_resolved: true }] } : {};
  // A function, so each receiver gets its own objects (YAML without anchors and aliases).
  const notifying = () => ({
    ...(slack
      ? {
          slack_configs: [
            {
              api_url_file: file("slack"),
              ...(slack.channel ? { channel: slack.channel } : {}),
              send_resolved: true,
            },
          ],
        }
      : {}),
    ...(email?.smtp
      ? {
          email_configs: [
            {
              to: email.to.join(", "),
              from: email.smtp.from,
              smarthost: email.smtp.smarthost,
              // Relays without authentication need neither a user nor a password.
              ...(email.smtp.username ? { auth_username: email.smtp.username } : {}),
              ...(email.smtp.secretRef ? { auth_password_file: file("email") } : {}),
              require_tls: true,
              send_resolved: true,
            },
          ],
        }
      : {}),
    ...(webhook ? { webhook_configs: [{ url_file: file("webhook"), send_resolved: true }] } : {}),
  });
  const notifies = Object.keys(notifying()).length > 0;
  const pages = pagerduty !== undefined;
  const defaultReceiver = notifies ? { name: NOTIFY, ...notifying() } : pages ? { name: NOTIFY, ...paging } : undefined;
  // Critical alerts page and also reach the other channels; without PagerDuty they take the default route.
  const criticalReceiver = pages ? { name: PAGE, ...structuredClone(paging), ...notifying() } : undefined;

  return {
    global: { resolve_timeout: "5m" },
    route: {
      receiver: defaultReceiver ? NOTIFY : NULL,
      // One message per alert name and namespace, not one per firing series.
      group_by: ["alertname", "namespace"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "12h",
      routes: [
        { receiver: NULL, matchers: ['alertname =~ "Watchdog|InfoInhibitor"'] },
        { receiver: NULL, matchers: ['severity = "info"'] },
        ...(criticalReceiver ? [{ receiver: PAGE, matchers: ['severity = "critical"'], repeat_interval: "4h" }] : []),
      ],
    },
    inhibit_rules: [
      // A critical alert silences its own warning and info variants (same alert, same namespace).
      { source_matchers: ['severity = "critical"'], target_matchers: ['severity =~ "warning|info"'], equal: ["namespace", "alertname"] },
      { source_matchers: ['severity = "warning"'], target_matchers: ['severity = "info"'], equal: ["namespace", "alertname"] },
    ],
    receivers: [{ name: NULL }, ...(defaultReceiver ? [defaultReceiver] : []), ...(criticalReceiver ? [criticalReceiver] : [])],
    templates: [],
  };
}

/** A mailbox address (no display name): what `email.to` and `email.smtp.from` accept. */
const ADDRESS = /^[\w.%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
/** host:port, as Alertmanager's `smarthost` requires. */
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;
/** A secret manager key: the clouds' names and ARNs, Vault paths. */
const REMOTE_KEY = /^\S+$/;

/** The problems with `receivers`, each naming the field, what is accepted and the value given (never a secret: only keys). */
export function receiverProblems(receivers: AlertReceivers): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, field: string, allowed: string, value: unknown) => {
    if (!ok) problems.push(`receivers.${field} must be ${allowed} (got ${JSON.stringify(value)})`);
  };
  const key = (field: string, value: string | undefined) => need(value === undefined || REMOTE_KEY.test(value), field, "a secret manager key without spaces", value);
  key("pagerduty.secretRef", receivers.pagerduty?.secretRef);
  key("slack.secretRef", receivers.slack?.secretRef);
  key("webhook.secretRef", receivers.webhook?.secretRef);
  const { slack, email } = receivers;
  if (slack?.channel !== undefined) need(/^[#@]?[\w.-]+$/.test(slack.channel), "slack.channel", 'a channel such as "#alerts"', slack.channel);
  if (email) {
    need(email.to.length > 0, "email.to", "at least one address", email.to);
    email.to.forEach((to, i) => need(ADDRESS.test(to), `email.to[${i}]`, "an e-mail address such as ops@example.com", to));
  }
  const smtp = email?.smtp;
  if (smtp) {
    key("email.smtp.secretRef", smtp.secretRef);
    need(ADDRESS.test(smtp.from), "email.smtp.from", "an e-mail address such as alerts@example.com", smtp.from);
    need(HOST_PORT.test(smtp.smarthost), "email.smtp.smarthost", 'an SMTP relay as host:port such as "smtp.example.com:587"', smtp.smarthost);
    need(!smtp.username || smtp.secretRef !== undefined, "email.smtp.username", "given only with email.smtp.secretRef (the password)", smtp.username);
  }
  return problems;
}
