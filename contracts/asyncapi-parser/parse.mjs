// docs/asyncapi.yaml as other teams' tools read it: the parser behind AsyncAPI's generator and Studio.
// Prints each error and exits 1 if there is any.
import { Parser } from '@asyncapi/parser';
import { readFileSync } from 'node:fs';
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(process.argv[2], 'utf8'));
const errors = diagnostics.filter(d => d.severity === 0);
for (const e of errors) console.log(JSON.stringify({code: e.code, message: e.message, path: e.path.join('.')}));
console.log(`errors=${errors.length} document=${document ? 'ok' : 'none'}`);
process.exit(errors.length ? 1 : 0);
