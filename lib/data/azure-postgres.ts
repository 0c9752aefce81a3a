import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { PostgresqlFlexibleServer } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server";
import { PostgresqlFlexibleServerActiveDirectoryAdministrator } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-active-directory-administrator";
import { PostgresqlFlexibleServerConfiguration } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-configuration";
import { PostgresqlFlexibleServerDatabase } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-database";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import type { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import type { AzureNetwork } from "../network/azure";
import { AzureKeyIdentity } from "./azure-key-identity";
import { deleteLock } from "./azure-lock";
import type { DataStoreConnection } from "./data";
import type { AzureKeys } from "./keys/azure";

export interface AzurePostgresProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly network: AzureNetwork;
  readonly keys: AzureKeys;
  /** The Log Analytics workspace the server's logs go to. */
  readonly logsWorkspaceId: string;
}

/** The storage sizes flexible server offers (MiB); the spec's size is rounded up to one. */
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
 * PostgreSQL flexible server, private in the VNet's delegated `database` subnet with its
 * own private DNS zone, never a public endpoint. Microsoft Entra ID is the only way in
 * (password authentication off: there is no password anywhere); tenants' workload
 * identities become Entra administrators in the platform stack. Data and backups are
 * encrypted with the deployment's `data` key through the server's own identity (the
 * versionless key id, so rotations are picked up without a change here), backups are
 * kept `backupDays` with point-in-time restore, and copied to the paired region (with
 * the paired vault's key) when disaster recovery is on. HA adds a standby in another
 * zone in place; size and storage change in place.
 */
export class AzurePostgres extends Construct {
  static readonly PORT = 5432;
  readonly server: PostgresqlFlexibleServer;
  readonly database: PostgresqlFlexibleServerDatabase;
  readonly connection: DataStoreConnection;

  constructor(scope: Construct, id: string, props: AzurePostgresProps) {
    super(scope, id);
    setComponent(this, "postgres");
    const { spec, naming, network, keys } = props;
    const pg = spec.data.postgres;
    if (!pg) throw new Error("AzurePostgres needs data.postgres");
    const resourceGroupName = network.resourceGroup.name;
    const location = network.location;
    const protection = spec.data.protection;
    const zonal = network.zones.length > 0;
    const client = new DataAzurermClientConfig(this, "Client");

    const cmk = new AzureKeyIdentity(this, "KeyIdentity", {
      name: naming.name("postgres", "cmk", 128),
      resourceGroupName,
      location,
      key: keys.data,
      service: "PostgreSQL",
    });
    // Geo-redundant backups are encrypted in the paired region with a key of a vault
    // there, through a second identity (Azure refuses the primary one for it).
    const geo = spec.data.disasterRecovery && keys.geo;
    const geoCmk = geo
      ? new AzureKeyIdentity(this, "GeoKeyIdentity", {
          name: naming.name("postgres", "geo-cmk", 128),
          resourceGroupName,
          location: geo.location,
          key: geo.data,
          service: "PostgreSQL geo-redundant backups",
        })
      : undefined;

    // VNet integration needs a private zone of its own, linked before the server exists.
    const zone = new PrivateDnsZone(this, "Zone", { name: `${naming.name("pg")}.private.postgres.database.azure.com`, resourceGroupName });
    const link = new PrivateDnsZoneVirtualNetworkLink(this, "ZoneLink", {
      name: naming.name("pg", "vnet-link", 80),
      resourceGroupName,
      privateDnsZoneName: zone.name,
      virtualNetworkId: network.vnet.id,
      registrationEnabled: false,
    });

    this.server = protect(
      new PostgresqlFlexibleServer(this, "Server", {
        // Server names are global DNS names: the resource group id's hash makes it unique and stable.
        name: Fn.join("-", [naming.name("pg", undefined, 54), Fn.substr(Fn.sha1(network.resourceGroup.id), 0, 8)]),
        location,
        resourceGroupName,
        version: pg.version,
        skuName: pg.instanceClass,
        storageMb: storageMb(pg.storageGb),
        // Azure doubles the disk when it runs low (up to the service maximum; there is no
        // ceiling to set, so maxStorageGb is not enforced here): the grown size is
        // authoritative, hence storage_mb is ignored after creation (a smaller configured
        // size would force a new server). The performance tier follows the size.
        autoGrowEnabled: true,
        // Pinned to the region's first zone whatever the tier: HA adds the standby in
        // another zone, and a failover swaps the two, which is why both are ignored below.
        zone: zonal ? network.zones[0] : undefined,
        highAvailability: pg.ha ? { mode: zonal ? "ZoneRedundant" : "SameZone" } : undefined,
        backupRetentionDays: pg.backupDays,
        // Forces a new server: driven by disaster recovery only, never by tier or size.
        geoRedundantBackupEnabled: Boolean(spec.data.disasterRecovery),
        delegatedSubnetId: network.databaseSubnet.id,
        privateDnsZoneId: zone.id,
        publicNetworkAccessEnabled: false,
        authentication: { activeDirectoryAuthEnabled: true, passwordAuthEnabled: false, tenantId: client.tenantId },
        identity: { type: "UserAssigned", identityIds: [cmk.identity.id, ...(geoCmk ? [geoCmk.identity.id] : [])] },
        customerManagedKey: {
          keyVaultKeyId: keys.data.versionlessId,
          primaryUserAssignedIdentityId: cmk.identity.id,
          ...(geo && geoCmk ? { geoBackupKeyVaultKeyId: geo.data.versionlessId, geoBackupUserAssignedIdentityId: geoCmk.identity.id } : {}),
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
      new PostgresqlFlexibleServerDatabase(this, "Database", { name: spec.name, serverId: this.server.id, charset: "UTF8", collation: "en_US.utf8" }),
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
      database: spec.name,
      // Workloads sign in with an Entra token for their identity; the user name is that
      // identity's name (<deployment>-wi-<namespace>-workload).
      settings: { sslmode: "verify-full", auth: "entra" },
    };
  }

  /**
   * Lets a managed identity sign in with an Entra token as an administrator
   * (azure_pg_admin, not a superuser), as the role named after the identity. A role
   * with narrower grants would have to be created in SQL (pgaadauth_create_principal),
   * which Terraform cannot run against a private server without a database provider.
   */
  allowEntraLogin(scope: Construct, id: string, identity: UserAssignedIdentity): PostgresqlFlexibleServerActiveDirectoryAdministrator {
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

/** The smallest size flexible server offers that holds `gb`. */
export function storageMb(gb: number): number {
  const size = STORAGE_SIZES_MB.find((mb) => mb >= gb * 1024);
  if (size === undefined) throw new Error(`data.postgres.storageGb: ${gb} GB is more than Azure PostgreSQL flexible server offers (32 TiB)`);
  return size;
}
