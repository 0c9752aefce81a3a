import { posix } from "node:path";
import type { SecureNodesSettings } from "./settings";

/** The ConfigMap's keys: the node's config file and the HSM module's extra file. */
export const CONFIG_KEY = "config.toml";
export const HSM_CONFIG_KEY = "hsm-config";
/** The Secrets' keys the pod reads: the HSM PIN and the audit collector's CA. */
export const HSM_PIN_KEY = "pin";
export const AUDIT_CA_KEY = "ca.crt";

/** Where files beside the config file go, relative to its directory (one projected volume). */
export const HSM_DIR = "hsm";
export const AUDIT_CA_FILE = "tls/audit-ca.crt";

type TomlValue = string | number | boolean | readonly string[];
type TomlTable = Record<string, TomlValue | undefined>;

/** A TOML basic string: quotes, backslashes and control characters escaped. */
function tomlString(value: string): string {
  const escaped = value.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => {
    const named: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r" };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  return `"${escaped}"`;
}

function tomlValue(value: TomlValue): string {
  if (typeof value === "string") return tomlString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return `[${value.map(tomlString).join(", ")}]`;
}

function toml(tables: Record<string, TomlTable>): string {
  return Object.entries(tables)
    .map(([name, table]) => {
      const lines = Object.entries(table)
        .filter((entry): entry is [string, TomlValue] => entry[1] !== undefined)
        .map(([key, value]) => `${key} = ${tomlValue(value)}`);
      return [`[${name}]`, ...lines].join("\n");
    })
    .join("\n\n");
}

/** Where the projected config volume is mounted: the config file's directory. */
export function configDir(settings: SecureNodesSettings): string {
  return posix.dirname(settings.configPath);
}

/** The HSM module's extra file, as the node and the module see it. */
export function hsmConfigPath(settings: SecureNodesSettings): string | undefined {
  const file = settings.hsm?.configFile;
  return file && `${configDir(settings)}/${HSM_DIR}/${file.name}`;
}

/**
 * The node's config.toml, in the sections and keys B4AE's production guide documents
 * (`network.listen_address`, `monitoring.*`, `authentication.*`, `keys.*`, `audit.*`)
 * and, for what it documents no key for, plain names of the same style (`health`,
 * `logging`, `security.profile`, `keys.hsm_module`, `keys.hsm_slot`, the TLS settings of
 * the syslog sink). No secret is written here: the HSM PIN is an environment variable
 * from a synced Secret, the keys are files of another.
 */
export function renderConfig(settings: SecureNodesSettings): string {
  const { hsm, audit, keys } = settings;
  const modes = settings.authMode === "both" ? ["mode_a", "mode_b"] : [settings.authMode];
  const body = toml({
    network: { listen_address: `0.0.0.0:${settings.udpPort}` },
    health: { listen_address: `0.0.0.0:${settings.healthPort}`, liveness_path: settings.livenessPath, readiness_path: settings.readinessPath },
    monitoring: { metrics_enabled: true, metrics_port: settings.metricsPort, metrics_path: settings.metricsPath },
    logging: { format: "json", level: settings.logLevel },
    security: { profile: settings.securityProfile },
    // With both modes the node accepts either and proposes the first (deniable) one.
    authentication: { supported_modes: modes, preferred_mode: modes[0] },
    keys: {
      storage_path: keys?.mountPath,
      hsm_enabled: hsm !== undefined,
      hsm_module: hsm?.modulePath,
      hsm_token: hsm?.tokenLabel,
      hsm_slot: hsm?.slot,
      hsm_config_file: hsmConfigPath(settings),
    },
    audit: audit
      ? {
          enabled: true,
          sink: "syslog",
          syslog_endpoint: `${audit.host}:${audit.port}`,
          syslog_tls: true,
          syslog_ca_file: audit.ca ? `${configDir(settings)}/${AUDIT_CA_FILE}` : undefined,
          hash_identities: true,
        }
      : { enabled: false },
  });
  const pin = hsm ? `\n# The HSM user PIN is read from the environment variable ${settings.envNames.hsmPin}, never from this file.` : "";
  return `# The B4AE node's configuration, rendered by cdktf-byoc from the SecureNodes props.${pin}\n\n${body}\n`;
}

/** An environment variable: a value, or a key of a Secret. */
export interface NodeEnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
}

/**
 * The node's environment: log level and JSON format, security profile and auth mode
 * under the configured names, the HSM settings (the PIN from `pinSecret`), the HSM
 * module's config file, then the props' plain variables.
 */
export function nodeEnv(settings: SecureNodesSettings, pinSecret: string | undefined): NodeEnvVar[] {
  const names = settings.envNames;
  const { hsm } = settings;
  const plain = (name: string, value: string): NodeEnvVar => ({ name, value });
  const configFile = hsm?.configFile;
  return [
    plain(names.logLevel, settings.logLevel),
    plain(names.logFormat, "json"),
    plain(names.securityProfile, settings.securityProfile),
    plain(names.authMode, settings.authMode),
    plain(names.hsmEnabled, String(hsm !== undefined)),
    ...(hsm && pinSecret
      ? [
          plain(names.hsmToken, hsm.tokenLabel),
          plain(names.hsmModule, hsm.modulePath),
          { name: names.hsmPin, valueFrom: { secretKeyRef: { name: pinSecret, key: HSM_PIN_KEY } } },
        ]
      : []),
    ...(configFile?.envVar ? [plain(configFile.envVar, hsmConfigPath(settings)!)] : []),
    ...Object.entries(settings.env).map(([name, value]) => plain(name, value)),
  ];
}
