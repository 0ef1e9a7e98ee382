/**
 * The lab against a running `latentkit serve` instead of its own worker
 * (`?service=URL`, optionally `&serviceModel=NAME`): samples, reconstructions
 * and scores of drawings come from the service's routes. The service must
 * allow the page's origin (`latentkit serve --cors ORIGIN`).
 */
export interface ServiceModel {
  name: string;
  inputShape: [number, number, number];
  latent: number;
  supports: { sample: boolean; score: boolean; search: boolean };
}

export class ServiceClient {
  constructor(
    readonly base: string,
    private model = '',
  ) {}

  private async call<T>(path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.base.replace(/\/$/, '')}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = (await response.json()) as T & { detail?: string };
    if (!response.ok) throw new Error(`${path}: ${answer.detail ?? response.statusText}`);
    return answer;
  }

  /** The model to use: the one named, else the first served. */
  async connect(): Promise<ServiceModel> {
    const { models } = await this.call<{ models: ServiceModel[] }>('/v1/models');
    const model = models.find((m) => m.name === this.model) ?? models[0];
    if (!model) throw new Error(`${this.base} serves no model`);
    this.model = model.name;
    return model;
  }

  private route = (op: string) => `/v1/models/${encodeURIComponent(this.model)}/${op}`;
  sample = async (n: number, temperature: number) => Float32Array.from((await this.call<{ outputs: number[][] }>(this.route('sample'), { n, temperature })).outputs.flat());
  decode = async (z: number[]) => Float32Array.from((await this.call<{ outputs: number[][] }>(this.route('decode'), { codes: [z] })).outputs.flat());
  reconstruct = async (x: Float32Array) => Float32Array.from((await this.call<{ outputs: number[][] }>(this.route('reconstruct'), { inputs: [Array.from(x)] })).outputs.flat());
  encode = async (x: Float32Array) => (await this.call<{ codes: number[][] }>(this.route('encode'), { inputs: [Array.from(x)] })).codes[0]!;
  score = async (x: Float32Array) => this.call<{ scores: number[]; is_anomaly: boolean[]; threshold: number }>(this.route('score'), { inputs: [Array.from(x)] });
}
