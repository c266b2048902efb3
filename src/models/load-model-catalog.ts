import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelCatalog } from './catalog';
import { ModelCatalogError, parseModelCatalog } from './catalog-schema';

/**
 * Reads and validates a model catalog file, once, at worker start-up.
 *
 * @param file path of a catalog JSON file (the worker passes `CHASSIS_MODEL_CATALOG`);
 *   @default the built-in `config/models.json`
 * @throws {ModelCatalogError} one line naming the file and the first bad path, e.g.
 *   `model catalog /etc/chassis/models.json is invalid: models[2].endpoint "foo" is not a declared endpoint (declared: openai)`
 */
export async function loadModelCatalog(file?: string): Promise<ModelCatalog> {
  if (file === undefined) return new ModelCatalog();
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = await readFile(resolved, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ModelCatalogError(
      `${reason}: check CHASSIS_MODEL_CATALOG, or unset it to use the built-in catalog`,
      resolved,
      'unreadable',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelCatalogError(`not valid JSON (${(error as Error).message})`, resolved);
  }
  return new ModelCatalog(parseModelCatalog(json, resolved));
}
