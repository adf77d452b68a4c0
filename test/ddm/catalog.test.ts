// The declaration catalog is generated from Apple's schema and kept in step with it; tokens are
// derived from content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDeclarationCatalog } from '../../scripts/gen-declarations.js';
import { declarationSpec, statusItemSpec, checkDeclaration, serverToken, declarationsToken, BUILTIN_DECLARATIONS } from '../../src/ddm/index.js';
import { repoRoot, sharedDir } from '../helpers/fixtures.js';

test('catalog.generated.ts is what the generator makes from the shared schema', () => {
  const { text } = renderDeclarationCatalog(join(sharedDir, 'apple-device-management'));
  assert.equal(readFileSync(join(repoRoot, 'src/ddm/catalog.generated.ts'), 'utf8'), text);
});

test('schema facts: the enforcement declaration, apply rules and status item value types', () => {
  const enforce = declarationSpec('com.apple.configuration.softwareupdate.enforcement.specific');
  assert.equal(enforce?.kind, 'configuration');
  assert.equal(enforce?.apply, 'multiple');
  assert.deepEqual(enforce?.payload.filter((k) => k.required).map((k) => k.key).sort(), ['TargetLocalDateTime', 'TargetOSVersion']);
  assert.equal(enforce?.os.macOS?.introduced, '14.0');
  assert.equal(declarationSpec('com.apple.activation.simple')?.kind, 'activation');
  assert.equal(declarationSpec('com.apple.asset.data')?.kind, 'asset');
  assert.equal(declarationSpec('com.apple.management.server-capabilities')?.kind, 'management');
  assert.equal(statusItemSpec('softwareupdate.pending-version')?.type, 'dictionary');
  assert.equal(statusItemSpec('softwareupdate.install-state')?.type, 'string');
});

test('ServerToken follows content only; DeclarationsToken follows the (identifier, token) set', () => {
  const a = serverToken('com.apple.activation.simple', 'a', { StandardConfigurations: ['x'], Predicate: 'TRUE' });
  const b = serverToken('com.apple.activation.simple', 'a', { Predicate: 'TRUE', StandardConfigurations: ['x'] });
  assert.equal(a, b);
  assert.equal(a.length, 64);
  assert.notEqual(a, serverToken('com.apple.activation.simple', 'a', { StandardConfigurations: ['y'], Predicate: 'TRUE' }));
  assert.notEqual(a, serverToken('com.apple.activation.simple', 'b', { StandardConfigurations: ['x'], Predicate: 'TRUE' }));
  const x = { identifier: 'x', serverToken: '1' };
  const y = { identifier: 'y', serverToken: '2' };
  assert.equal(declarationsToken([x, y]), declarationsToken([y, x]));
  assert.notEqual(declarationsToken([x, y]), declarationsToken([x]));
  assert.notEqual(declarationsToken([x]), declarationsToken([{ ...x, serverToken: '3' }]));
});

test("Updraft's own declarations pass Apple's schema", () => {
  for (const { declaration: d } of BUILTIN_DECLARATIONS) {
    assert.doesNotThrow(() => checkDeclaration(d, { allowReserved: true }), d.Identifier);
  }
});
