/** The package version (a test keeps it equal to package.json's; the core reads no files). */
export const VERSION = '0.1.0';
