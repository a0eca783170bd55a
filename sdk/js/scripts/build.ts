/** `npm run build` (sdk/js): builds dist/ and prints each entry's size as shipped, minified and gzipped, in bytes. */
import { buildPackage, SDK_GZIP_BUDGET_BYTES } from './bundle';

buildPackage()
  .then((sizes) => {
    for (const s of sizes) {
      const shipped = s.bytes === 0 ? '' : `${s.bytes} B, `;
      const budget = s.entry === 'index' ? ` (budget ${SDK_GZIP_BUDGET_BYTES} B)` : '';
      console.log(`${s.entry}: ${shipped}minified ${s.minifiedBytes} B, gzipped ${s.gzipBytes} B${budget}`);
    }
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
