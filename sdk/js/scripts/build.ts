/** `npm run build` (sdk/js): builds dist/ and prints each entry's size as shipped, minified and gzipped. */
import { buildPackage } from './bundle';

buildPackage()
  .then((sizes) => {
    for (const s of sizes) {
      const shipped = s.bytes === 0 ? '' : `${(s.bytes / 1024).toFixed(1)} KB, `;
      console.log(
        `${s.entry}: ${shipped}minified ${(s.minifiedBytes / 1024).toFixed(1)} KB, ` +
          `gzipped ${(s.gzipBytes / 1024).toFixed(1)} KB`,
      );
    }
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
