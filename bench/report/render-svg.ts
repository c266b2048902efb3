/** A Vega-Lite specification (https://vega.github.io/vega-lite/docs/spec.html), as plain JSON. */
export type VegaLiteSpec = Record<string, unknown>;

interface VegaLiteModule {
  compile(spec: VegaLiteSpec): { spec: unknown };
}

interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}

/**
 * Renders a Vega-Lite chart to an SVG document in Node, without a browser or canvas: Vega's
 * SVG renderer runs headless and estimates text widths itself. Vega and Vega-Lite are ESM
 * packages; they are loaded on first use, so nothing else pays for them.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // Indirect so TypeScript (CommonJS output) keeps a real import() of the ESM packages.
  const load = new Function('name', 'return import(name)') as (name: string) => Promise<unknown>;
  const vegaLite = (await load('vega-lite')) as VegaLiteModule;
  const vega = (await load('vega')) as VegaModule;
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
