// Parsers shared by the configuration schemas (config.ts and the *.config.ts beside it).
import { z } from 'zod';

/** A boolean environment variable: true/false, 1/0 or yes/no. */
export const envBool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
