/**
 * docs/options.md cannot drift from the code: every property of every exported option type (the `...Options`
 * interfaces of src/index.ts, plus the option types they are built from) must be documented in that type's
 * section, found by walking the types with the TypeScript compiler.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const EXTRA_OPTION_TYPES = new Set(['PasswordMigrationLimits', 'ProviderSessionTuning', 'CutoverCriteria']);

/** `## Name` or `### Name` sections of docs/options.md, keyed by the type name in backticks. */
function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = markdown.split(/^#{2,3} /m).slice(1);
  for (const part of parts) {
    const title = part.slice(0, part.indexOf('\n'));
    const name = /^`(\w+)`/.exec(title)?.[1];
    if (name) out.set(name, part);
  }
  return out;
}

interface OptionType {
  name: string;
  /** Property paths (`max`, `tokenCache.max`) and the exported type that declares each. */
  properties: Array<{ path: string; declaredIn: string }>;
}

function optionTypes(): OptionType[] {
  const program = ts.createProgram([`${root}src/index.ts`], {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(`${root}src/index.ts`);
  if (!index) throw new Error('src/index.ts not found');
  const moduleSymbol = checker.getSymbolAtLocation(index);
  if (!moduleSymbol) throw new Error('src/index.ts has no module symbol');

  const exported = checker
    .getExportsOfModule(moduleSymbol)
    .filter((s) => s.name.endsWith('Options') || EXTRA_OPTION_TYPES.has(s.name));
  const exportedNames = new Set(exported.map((s) => s.name));

  const propertiesOf = (type: ts.Type): ts.Symbol[] => {
    const members = type.isUnion() ? type.types : [type];
    const seen = new Map<string, ts.Symbol>();
    for (const member of members) {
      for (const p of checker.getPropertiesOfType(member)) if (!seen.has(p.name)) seen.set(p.name, p);
    }
    return [...seen.values()];
  };
  /** The exported option type whose declaration holds this property, else `fallback`. */
  const declaringType = (property: ts.Symbol, fallback: string): string => {
    for (const decl of property.declarations ?? []) {
      let node: ts.Node | undefined = decl.parent;
      while (node && !ts.isInterfaceDeclaration(node) && !ts.isTypeAliasDeclaration(node)) node = node.parent;
      if (node && exportedNames.has(node.name.text)) return node.name.text;
    }
    return fallback;
  };
  /** Inline object types (`{ max?: number; ttlMs?: number }`) whose fields are options too. */
  const inlineFields = (property: ts.Symbol, at: ts.Node): ts.Symbol[] => {
    const type = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(property, at));
    const members = type.isUnion() ? type.types : [type];
    const out: ts.Symbol[] = [];
    for (const member of members) {
      if (!(member.flags & ts.TypeFlags.Object) || member.getCallSignatures().length > 0) continue;
      if ((member as ts.ObjectType).objectFlags & ts.ObjectFlags.Anonymous && !member.aliasSymbol) {
        out.push(...checker.getPropertiesOfType(member));
      }
    }
    return out;
  };

  return exported.map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const type = checker.getDeclaredTypeOfSymbol(target);
    const properties: OptionType['properties'] = [];
    for (const property of propertiesOf(type)) {
      const declaredIn = declaringType(property, symbol.name);
      properties.push({ path: property.name, declaredIn });
      for (const field of inlineFields(property, index)) {
        properties.push({ path: `${property.name}.${field.name}`, declaredIn });
      }
    }
    return { name: symbol.name, properties };
  });
}

describe('docs/options.md', () => {
  const markdown = readFileSync(`${root}docs/options.md`, 'utf8');
  const bySection = sections(markdown);
  const types = optionTypes();

  it('finds the public option types in src/', () => {
    const names = types.map((t) => t.name);
    for (const expected of ['BridgeOptions', 'LegacyStoreOptions', 'ProviderOptions', 'CutoverOptions']) {
      expect(names).toContain(expected);
    }
    expect(types.find((t) => t.name === 'BridgeOptions')?.properties.map((p) => p.path)).toContain(
      'tokenCache.maxBytes',
    );
  });

  it('has a section for every exported option type that declares options of its own', () => {
    const missing = types
      .filter((t) => t.properties.some((p) => p.declaredIn === t.name))
      .map((t) => t.name)
      .filter((name) => !bySection.has(name));
    expect(missing, 'add a "## `Name`" section to docs/options.md').toEqual([]);
  });

  it('documents every option of every exported option type in its section', () => {
    const missing = new Set<string>();
    for (const type of types) {
      for (const { path, declaredIn } of type.properties) {
        const section = bySection.get(declaredIn) ?? '';
        if (!section.includes(`\`${path}\``)) missing.add(`${declaredIn}.${path}`);
      }
    }
    expect([...missing], 'document these in docs/options.md').toEqual([]);
  });
});
