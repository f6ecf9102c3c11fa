// Turns a catalog file (the format of data/catalog.demo.json) into the two files the cloud console imports:
// products.jsonl and skus.jsonl (one JSON document per line, `_id` set), after validating it like the functions do.
// Usage: npm run catalog:export -- path/to/catalog.json [out-dir]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { catalogToRecords } from '../server/adapters/db/catalog.repository';
import { parseCatalog } from '../server/domain/catalog';

function main(): void {
  const [input, outDir = '.data/catalog-export'] = process.argv.slice(2);
  if (!input) {
    console.error('usage: npm run catalog:export -- path/to/catalog.json [out-dir]');
    process.exit(2);
  }
  const catalog = parseCatalog(JSON.parse(readFileSync(resolve(input), 'utf8')) as unknown);
  const { products, skus } = catalogToRecords(catalog);
  mkdirSync(resolve(outDir), { recursive: true });
  const lines = (docs: object[]) => docs.map((d) => JSON.stringify(d)).join('\n') + '\n';
  writeFileSync(join(resolve(outDir), 'products.jsonl'), lines(products));
  writeFileSync(join(resolve(outDir), 'skus.jsonl'), lines(skus));
  console.log(
    `catalog valid: ${products.length} products, ${skus.length} SKUs → ${outDir}/products.jsonl, skus.jsonl`,
  );
}

try {
  main();
} catch (e) {
  console.error(`catalog export failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
