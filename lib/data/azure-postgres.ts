import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { PostgresqlFlexibleServer } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server";
import { PostgresqlFlexibleServerActiveDirectoryAdministrator } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-active-directory-administrator";
import { PostgresqlFlexibleServerConfiguration } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-configuration";
import { PostgresqlFlexibleServerDatabase } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-database";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { POSTGRES_VERSIONS } from "../config/data";
import { TIERS } from "../config/tiers";
import { namingOf } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { AzureKeyIdentity } from "./azure-key-identity";
import { deleteLock } from "./azure-lock";
import { requireNetworkId, type AzureStoreProps, type IAzureEntraLogin, type IAzureIdentity } from "./azure-store";
import type { DataStoreConnection } from "./data";
import type { IAzureKey } from "./keys/azure";
import { label, requireInt, requireProp } from "../core/validate";

const SMALL = TIERS.small.data.postgres;

/** Geo-redundant backups: the paired region and a key in a vault there. */
export interface AzureGeoBackup {
  /** The region's pair, where the backups are copied (and the key's vault is). */
  readonly location: string;
  /** Encrypts the copies, through an identity of the server's in `location`. */
  readonly key: IAzureKey;
}

/** The server's engine and sizes; every one defaults to the small tier's. */
export interface AzurePostgresOptions {
  /** The PostgreSQL major version. @default AzurePostgres.DEFAULT_VERSION ("17") */
  readonly version?: string;
  /** The flexible server SKU, e.g. GP_Standard_D4ds_v5. @default - the small tier's, "B_Standard_B2ms" */
  readonly instanceClass?: string;
  /** Storage in GB, rounded up to a size flexible server offers; it grows automatically. @default - the small tier's, 100 */
  readonly storageGb?: number;
  /** A standby in another zone (the same zone where the region has none), added in place. @default - the small tier's, false */
  readonly ha?: boolean;
  /** Days of backups and point-in-time restore, 7-35. @default - the small tier's, 7 */
  readonly backupDays?: number;
  /** The database applications use. @default - the deployment name */
  readonly database?: string;
  /**
   * Copies backups to the region's pair, encrypted with a key there. Turning it on or
   * off replaces the server.
   * @default - none: backups stay in the region
   */
  readonly geoBackup?: AzureGeoBackup;
}

export interface AzurePostgresProps extends AzureStoreProps, AzurePostgresOptions {}

/** The storage sizes flexible server offers (MiB); `storageGb` is rounded up to one. */
const STORAGE_SIZES_MB = [32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216, 33553408];

/**
 * Server parameters: TLS 1.2+ only, every connection and disconnection logged, and
 * pgaudit loaded for DDL and role changes (the product's migrations may `CREATE
 * EXTENSION pgaudit`, which the allowlist permits). pg_cron and pg_stat_statements are
 * the service's own preloads, kept.
 */
export const POSTGRES_PARAMETERS: Record<string, string> = {
  require_secure_transport: "on",
  ssl_min_protocol_version: "TLSv1.2",
  log_connections: "on",
  log_disconnections: "on",
  shared_preload_libraries: "pg_cron,pg_stat_statements,pgaudit",
  "azure.extensions": "PGAUDIT",
  "pgaudit.log": "DDL,ROLE",
};

/**
 * PostgreSQL flexible server, private in the network's delegated database subnet with
 * its own private DNS zone, never a public endpoint. Microsoft Entra ID is the only way
 * in (password authentication off: there is no password anywhere); tenants' workload
 * identities become Entra administrators in the platform stack (`allowEntraLogin`).
 * Data and backups are encrypted with `key` through the server's own identity (the
 * versionless key id, so rotations are picked up without a change here), backups are
 * kept `backupDays` with point-in-time restore, and copied to the paired region with
 * `geoBackup`. HA adds a standby in another zone in place; size and storage change in
 * place. Output: `host`.
 */
export class AzurePostgres extends Construct implements IAzureEntraLogin {
  static readonly PORT = 5432;
  static readonly DEFAULT_VERSION = "17";
  readonly server: PostgresqlFlexibleServer;
  readonly database: PostgresqlFlexibleServerDatabase;
  readonly connection: DataStoreConnection;
  readonly version: string;
  readonly instanceClass: string;
  readonly storageGb: number;
  readonly ha: boolean;
  readonly backupDays: number;
  readonly databaseName: string;
  readonly protection: boolean;

  constructor(scope: Construct, id: string, props: AzurePostgresProps) {
    super(scope, id);
    requireProp(this, "version", props.version, (v) => (POSTGRES_VERSIONS as readonly string[]).includes(v), `one of ${POSTGRES_VERSIONS.join(", ")}`);
    requireProp(this, "instanceClass", props.instanceClass, (c) => /^(B|GP|MO)_Standard_[A-Za-z0-9_]+$/.test(c), 'a flexible server SKU such as "GP_Standard_D4ds_v5"');
    requireInt(this, "backupDays", props.backupDays, 7, 35);
    setComponent(this, "postgres");
    const naming = namingOf(this, props.naming);
    const { network, key, geoBackup } = props;
    const databaseSubnetId = requireNetworkId(this, "databaseSubnetId", network.databaseSubnetId, "a subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers");
    this.version = props.version ?? AzurePostgres.DEFAULT_VERSION;
    this.instanceClass = props.instanceClass ?? SMALL.instanceClass.azure;
    this.storageGb = props.storageGb ?? SMALL.storageGb;
    // Rounded at synth to a size the service offers, so the size must be a literal.
    const mb = Number.isInteger(this.storageGb) && this.storageGb >= 1 ? storageMb(this.storageGb) : undefined;
    if (mb === undefined) {
      throw new Error(`${label(this)}: storageGb must be a whole number of GB from 1 to 32767, the most flexible server offers (got ${this.storageGb})`);
    }
    this.ha = props.ha ?? SMALL.ha;
    this.backupDays = props.backupDays ?? SMALL.backupDays;
    this.databaseName = props.database ?? naming.deployment;
    this.protection = props.protection ?? true;
    const resourceGroupName = network.resourceGroupName;
    const location = network.location;
    const protection = this.protection;
    const zonal = network.zones.length > 0;
    const client = new DataAzurermClientConfig(this, "Client");

    const cmk = new AzureKeyIdentity(this, "KeyIdentity", {
      name: naming.name("postgres", "cmk", 128),
      resourceGroupName,
      location,
      key,
      service: "PostgreSQL",
    });
    // Geo-redundant backups are encrypted in the paired region with a key of a vault
    // there, through a second identity (Azure refuses the primary one for it).
    const geoCmk = geoBackup
      ? new AzureKeyIdentity(this, "GeoKeyIdentity", {
          name: naming.name("postgres", "geo-cmk", 128),
          resourceGroupName,
          location: geoBackup.location,
          key: geoBackup.key,
          service: "PostgreSQL geo-redundant backups",
        })
      : undefined;

    // VNet integration needs a private zone of its own, linked before the server exists.
    const zone = new PrivateDnsZone(this, "Zone", { name: `${naming.name("pg")}.private.postgres.database.azure.com`, resourceGroupName });
    const link = new PrivateDnsZoneVirtualNetworkLink(this, "ZoneLink", {
      name: naming.name("pg", "vnet-link", 80),
      resourceGroupName,
      privateDnsZoneName: zone.name,
      virtualNetworkId: network.vnetId,
      registrationEnabled: false,
    });

    this.server = protect(
      new PostgresqlFlexibleServer(this, "Server", {
        // Server names are global DNS names: the resource group id's hash makes it unique and stable.
        name: Fn.join("-", [naming.name("pg", undefined, 54), Fn.substr(Fn.sha1(network.resourceGroupId), 0, 8)]),
        location,
        resourceGroupName,
        version: this.version,
        skuName: this.instanceClass,
        storageMb: mb,
        // Azure doubles the disk when it runs low (up to the service maximum; there is no
        // ceiling to set): the grown size is authoritative, hence storage_mb is ignored
        // after creation (a smaller configured size would force a new server). The
        // performance tier follows the size.
        autoGrowEnabled: true,
        // Pinned to the region's first zone whatever the size: HA adds the standby in
        // another zone, and a failover swaps the two, which is why both are ignored below.
        zone: zonal ? network.zones[0] : undefined,
        highAvailability: this.ha ? { mode: zonal ? "ZoneRedundant" : "SameZone" } : undefined,
        backupRetentionDays: this.backupDays,
        // Forces a new server: driven by geoBackup only, never by size.
        geoRedundantBackupEnabled: geoBackup !== undefined,
        delegatedSubnetId: databaseSubnetId,
        privateDnsZoneId: zone.id,
        publicNetworkAccessEnabled: false,
        authentication: { activeDirectoryAuthEnabled: true, passwordAuthEnabled: false, tenantId: client.tenantId },
        identity: { type: "UserAssigned", identityIds: [cmk.identity.id, ...(geoCmk ? [geoCmk.identity.id] : [])] },
        customerManagedKey: {
          keyVaultKeyId: key.versionlessId,
          primaryUserAssignedIdentityId: cmk.identity.id,
          ...(geoBackup && geoCmk ? { geoBackupKeyVaultKeyId: geoBackup.key.versionlessId, geoBackupUserAssignedIdentityId: geoCmk.identity.id } : {}),
        },
        // Sunday 01:00 UTC, inside the AKS upgrade window.
        maintenanceWindow: { dayOfWeek: 0, startHour: 1, startMinute: 0 },
        lifecycle: { ignoreChanges: ["storage_mb", "zone", "high_availability[0].standby_availability_zone"] },
        dependsOn: [link, cmk.grant, ...(geoCmk ? [geoCmk.grant] : [])],
      }),
      protection,
    );

    for (const [name, value] of Object.entries(POSTGRES_PARAMETERS)) {
      new PostgresqlFlexibleServerConfiguration(this, `Parameter-${name}`, { name, value, serverId: this.server.id });
    }

    this.database = protect(
      new PostgresqlFlexibleServerDatabase(this, "Database", { name: this.databaseName, serverId: this.server.id, charset: "UTF8", collation: "en_US.utf8" }),
      protection,
    );

    new MonitorDiagnosticSetting(this, "Logs", {
      name: "postgres",
      targetResourceId: this.server.id,
      logAnalyticsWorkspaceId: props.logsWorkspaceId,
      logAnalyticsDestinationType: "Dedicated",
      // Server logs: connections, disconnections, errors and pgaudit's records.
      enabledLog: [{ category: "PostgreSQLLogs" }],
      enabledMetric: [{ category: "AllMetrics" }],
    });
    deleteLock(this, "Lock", { name: naming.name("postgres", "lock", 90), resourceId: this.server.id, protection, what: "the PostgreSQL server" });

    this.connection = {
      kind: "postgres",
      host: this.server.fqdn,
      port: AzurePostgres.PORT,
      database: this.databaseName,
      // Workloads sign in with an Entra token for their identity; the user name is that
      // identity's name (<deployment>-wi-<namespace>-workload).
      settings: { sslmode: "verify-full", auth: "entra" },
    };
    constructOutput(this, "host", { value: this.server.fqdn, description: "The PostgreSQL server's private host name." });
  }

  /**
   * Lets a managed identity sign in with an Entra token as an administrator
   * (azure_pg_admin, not a superuser), as the role named after the identity. A role
   * with narrower grants would have to be created in SQL (pgaadauth_create_principal),
   * which Terraform cannot run against a private server without a database provider.
   */
  allowEntraLogin(scope: Construct, id: string, identity: IAzureIdentity): PostgresqlFlexibleServerActiveDirectoryAdministrator {
    return new PostgresqlFlexibleServerActiveDirectoryAdministrator(scope, id, {
      serverName: this.server.name,
      resourceGroupName: this.server.resourceGroupName,
      tenantId: identity.tenantId,
      objectId: identity.principalId,
      principalName: identity.name,
      principalType: "ServicePrincipal",
    });
  }
}

/** The smallest size flexible server offers that holds `gb`; undefined past the largest (32 TiB). */
export function storageMb(gb: number): number | undefined {
  return STORAGE_SIZES_MB.find((mb) => mb >= gb * 1024);
}
