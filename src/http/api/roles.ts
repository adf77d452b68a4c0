// Who may call what: every API route with the least role it needs, in one table (data, not checks
// scattered over the route modules). A role allows its own level and those below it:
//   read     — any key (read-only, operator, admin): looks, changes nothing;
//   operate  — operator and admin: queue commands, push, cancel, campaigns, tags, DDM content;
//   admin    — admin only: server settings, keys and certificates (push certificate, CA and SCEP
//              challenges, catalogs, history pruning, migration of enrollments, API keys).
// Routes needing more than read are writes: each is recorded in the audit log.
// test/api/roles.test.ts fails when a route is registered without a line here; a route missing from
// the table all the same is refused to every key but admin (fail closed).
import type { ApiRole } from '../../storage/types-access.js';

export type Access = 'read' | 'operate' | 'admin';

export const ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  // NanoMDM
  'PUT /v1/enqueue/:ids': 'operate',
  'POST /v1/enqueue': 'operate',
  'GET /v1/push/:ids': 'operate',
  'POST /v1/push/:ids': 'operate',
  'POST /v1/push': 'operate',
  'PUT /v1/pushcert': 'admin',
  'GET /v1/pushcert': 'read',
  'PUT /migration': 'admin',
  // MicroMDM
  'POST /v1/commands': 'operate',
  'GET /v1/commands/:udid': 'read',
  'POST /v1/commands/:udid': 'operate',
  'PUT /v1/commands/:udid': 'operate',
  'DELETE /v1/commands/:udid': 'operate',
  'GET /v1/devices': 'read',
  'POST /v1/devices': 'read', // MicroMDM lists devices with a POST
  'GET /push/:udid': 'operate', // a GET that pushes
  // Enrollments, queues, results
  'GET /v1/enrollments': 'read',
  'GET /v1/enrollments/:id': 'read',
  'GET /v1/enrollments/:id/queue': 'read',
  'DELETE /v1/enrollments/:id/queue': 'operate',
  'DELETE /v1/enrollments/:id/queue/:uuid': 'operate',
  'GET /v1/enrollments/:id/pushes': 'read',
  'GET /v1/commands/:uuid/results': 'read',
  'POST /v1/prune': 'admin',
  // Push certificate requests
  'POST /v1/pushcert/request': 'admin',
  'GET /v1/pushcert/request': 'read',
  'POST /v1/pushcert/request/decrypt': 'admin',
  // CA: SCEP challenges and issued certificates
  'POST /v1/challenge': 'admin',
  'GET /v1/certificates': 'read',
  'GET /v1/certificates/:serial': 'read',
  'POST /v1/certificates/:serial/revoke': 'admin',
  // OS updates: catalogs, inventory, posture, campaigns, tags
  'GET /v1/catalogs': 'read',
  'GET /v1/catalogs/:kind': 'read',
  'PUT /v1/catalogs/:kind': 'admin',
  'GET /v1/devices/:id/inventory': 'read',
  'GET /v1/devices/:id/inventory/history': 'read',
  'GET /v1/devices/:id/os': 'read',
  'GET /v1/os/summary': 'read',
  'GET /v1/campaigns': 'read',
  'POST /v1/campaigns': 'operate',
  'GET /v1/campaigns/:id': 'read',
  'GET /v1/campaigns/:id/devices': 'read',
  'POST /v1/campaigns/:id/pause': 'operate',
  'POST /v1/campaigns/:id/resume': 'operate',
  'POST /v1/campaigns/:id/cancel': 'operate',
  'GET /v1/devices/:id/tags': 'read',
  'PUT /v1/devices/:id/tags': 'operate',
  // Declarative device management
  'GET /v1/ddm/types': 'read',
  'GET /v1/ddm/declarations': 'read',
  'PUT /v1/ddm/declarations': 'operate',
  'GET /v1/ddm/declarations/:identifier': 'read',
  'DELETE /v1/ddm/declarations/:identifier': 'operate',
  'GET /v1/ddm/sets': 'read',
  'GET /v1/ddm/sets/:name': 'read',
  'PUT /v1/ddm/sets/:name': 'operate',
  'DELETE /v1/ddm/sets/:name': 'operate',
  'POST /v1/ddm/sets/:name/declarations': 'operate',
  'PUT /v1/ddm/sets/:name/declarations/:identifier': 'operate',
  'DELETE /v1/ddm/sets/:name/declarations/:identifier': 'operate',
  'POST /v1/ddm/sets/:name/enrollments': 'operate',
  'PUT /v1/ddm/sets/:name/enrollments/:id': 'operate',
  'DELETE /v1/ddm/sets/:name/enrollments/:id': 'operate',
  'GET /v1/ddm/enrollments/:id': 'read',
  'GET /v1/ddm/enrollments/:id/status': 'read',
  'GET /v1/ddm/enrollments/:id/status/history': 'read',
  'POST /v1/ddm/enrollments/:id/sync': 'operate',
  'PUT /v1/ddm/assets/:name': 'operate',
  'DELETE /v1/ddm/assets/:name': 'operate',
  // ADE (DEP): NanoDEP's routes and the DEP names (tokens and key pairs are secrets: admin)
  'GET /v1/tokenpki/:name': 'admin', // makes a key pair
  'PUT /v1/tokenpki/:name': 'admin',
  'GET /v1/tokens/:name': 'admin',
  'PUT /v1/tokens/:name': 'admin',
  'GET /v1/maidjwt/:name': 'admin', // a token signed with the DEP name's key
  'GET /v1/config/:name': 'read',
  'PUT /v1/config/:name': 'admin',
  'GET /v1/assigner/:name': 'read',
  'PUT /v1/assigner/:name': 'admin',
  'GET /v1/dep': 'read',
  'GET /v1/dep/:name': 'read',
  'GET /proxy/:name/*': 'admin', // the organization's DEP API, as the server
  'POST /proxy/:name/*': 'admin',
  'PUT /proxy/:name/*': 'admin',
  'DELETE /proxy/:name/*': 'admin',
  'PATCH /proxy/:name/*': 'admin',
  // ADE enrollment
  'GET /v1/ade/settings': 'read',
  'PUT /v1/ade/settings': 'admin',
  'GET /v1/ade/settings/:dep_name': 'read',
  'PUT /v1/ade/settings/:dep_name': 'admin',
  'GET /v1/ade/enrollments': 'read',
  'GET /v1/ade/enrollments/:udid': 'read',
  'GET /v1/dep-devices': 'read',
  'POST /v1/dep/:name/sync': 'operate',
  'GET /v1/dep/:name/assign-rules': 'read',
  'PUT /v1/dep/:name/assign-rules': 'admin',
  // API keys and the audit log
  'POST /v1/apikeys': 'admin',
  'GET /v1/apikeys': 'admin',
  'DELETE /v1/apikeys/:id': 'admin',
  'GET /v1/audit': 'read',
  // Prometheus metrics (unless --metrics-public)
  'GET /metrics': 'read',
};

const RANK: Record<Access, number> = { read: 0, operate: 1, admin: 2 };
const ROLE_RANK: Record<ApiRole, number> = { 'read-only': 0, operator: 1, admin: 2 };

export const ROLES: readonly ApiRole[] = ['admin', 'operator', 'read-only'];

export const isRole = (s: unknown): s is ApiRole => typeof s === 'string' && (ROLES as readonly string[]).includes(s);

/** The table's key of a route: "METHOD /pattern" (HEAD is its GET). */
export const routeKey = (method: string, url: string): string => `${method === 'HEAD' ? 'GET' : method} ${url}`;

/** The access a route needs: its line in the table, else admin (fail closed). */
export const accessOf = (method: string, url: string): Access => ROUTE_ACCESS[routeKey(method, url)] ?? 'admin';

export const allows = (role: ApiRole, access: Access): boolean => ROLE_RANK[role] >= RANK[access];

/** The role a refusal names as needed. */
export const roleFor = (access: Access): ApiRole => (access === 'admin' ? 'admin' : access === 'operate' ? 'operator' : 'read-only');
