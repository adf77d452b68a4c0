// Migrations live in code (not read from disk) so they run from src/ and dist/ alike.
// Append new ones with the next number; never edit one that has shipped.
import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../schema.js';
import { coreMigration } from './001_core.js';
import { ddmMigration } from './002_ddm.js';
import { certsMigration } from './003_certs.js';
import { catalogsMigration } from './004_catalogs.js';
import { inventoryMigration } from './005_inventory.js';
import { postureMigration } from './006_posture.js';
import { campaignsMigration } from './008_campaigns.js';
import { ddmUnknownMigration } from './009_ddm_unknown.js';
import { nodesMigration } from './015_nodes.js';
import { accessMigration } from './010_access.js';
import { migratedMigration } from './010_migrated.js';
import { depMigration } from './011_dep.js';
import { fleetIndexesMigration } from './012_fleet_indexes.js';
import { adeMigration } from './013_ade.js';
import { uiPerfMigration } from './016_ui_perf.js';
import { depProfilesMigration } from './017_dep_profiles.js';

export function migrations(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '001_core': coreMigration(dialect),
        '002_ddm': ddmMigration(dialect),
        '003_certs': certsMigration(dialect),
        '004_catalogs': catalogsMigration(dialect),
        '005_inventory': inventoryMigration(dialect),
        '006_posture': postureMigration(dialect),
        '008_campaigns': campaignsMigration(),
        '009_ddm_unknown': ddmUnknownMigration(),
        '015_nodes': nodesMigration(),
        '010_access': accessMigration(dialect),
        '010_migrated': migratedMigration(),
        '011_dep': depMigration(dialect),
        '012_fleet_indexes': fleetIndexesMigration(dialect),
        '013_ade': adeMigration(),
        '016_ui_perf': uiPerfMigration(dialect),
        '017_dep_profiles': depProfilesMigration(),
      };
    },
  };
}
