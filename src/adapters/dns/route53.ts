/**
 * Route53 adapter of the DNS provider port (@aws-sdk/client-route-53, pinned). Credentials come from
 * the Docker secrets via Config, never from the SDK's default chain (which could probe the network).
 */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type RRType,
  Route53Client,
} from '@aws-sdk/client-route-53';
import type { Config } from '../../config.js';
import { type RecordType, isRecordType } from '../../domain/dns-records/types.js';
import {
  type BatchLimits,
  type DnsProvider,
  DnsProviderError,
  type RecordSet,
  type RecordSetChange,
} from '../../ports/dns-provider.js';
import { decodeValue, encodeValue, fromRoute53Name, toRoute53Name } from './route53-values.js';

/** Documented per-request limits of ChangeResourceRecordSets. */
export const ROUTE53_LIMITS: BatchLimits = {
  maxRecords: 1000,
  maxValueChars: 32_000,
  maxChanges: 1000,
};

export class Route53Provider implements DnsProvider {
  readonly kind = 'route53' as const;
  readonly servesFromDatabase = false;
  readonly limits: BatchLimits;
  private readonly client: Route53Client;
  private readonly zoneId: string;
  private readonly pacer: RequestPacer;

  constructor(cfg: Config['dns']['route53'], limits: BatchLimits = ROUTE53_LIMITS) {
    if (!cfg.hostedZoneId) throw new Error('AWS_ROUTE53_HOSTED_ZONE_ID is required for Route53');
    this.zoneId = cfg.hostedZoneId;
    this.limits = limits;
    this.pacer = new RequestPacer(cfg.requestsPerSecond);
    this.client = new Route53Client({
      region: cfg.region,
      ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
      credentials: {
        accessKeyId: cfg.accessKeyId ?? 'test',
        secretAccessKey: cfg.secretAccessKey ?? 'test',
      },
      // Retries are the reconciler's business (exponential backoff, batch isolation).
      maxAttempts: 1,
    });
  }

  encodedLength(type: RecordType, value: string): number {
    return encodeValue(type, value).length;
  }

  async listRecordSets(
    under?: string,
    retry: <T>(request: () => Promise<T>) => Promise<T> = (r) => r(),
  ): Promise<RecordSet[]> {
    const suffix = under ? `.${under.toLowerCase()}` : null;
    const out: RecordSet[] = [];
    for await (const page of this.pages(under, retry)) {
      let left = false;
      for (const set of page) {
        const name = set.name;
        if (under && name !== under && !name.endsWith(suffix!)) {
          // Route53 lists by name with labels reversed (com.example.www) compared as strings, so
          // siblings such as "alice-b" can sort between "alice" and "alice.www": skip those, and
          // stop once past everything that starts with the subtree's reversed prefix.
          if (reversed(name) > `${reversed(under)}.\uffff`) {
            left = true;
            break;
          }
          continue;
        }
        if (set.type !== null) out.push(set as RecordSet);
      }
      if (left) return out;
    }
    return out;
  }

  async *walkRecordSets(
    retry: <T>(request: () => Promise<T>) => Promise<T> = (r) => r(),
  ): AsyncIterable<RecordSet[]> {
    for await (const page of this.pages(undefined, retry))
      yield page.filter((s): s is RecordSet => s.type !== null);
  }

  /**
   * ListResourceRecordSets pages from `under` (or the start of the zone) to the end, in Route53's
   * order; sets of unsupported types and aliases come with type null (so a subtree walk can still
   * see where it left its subtree).
   */
  private async *pages(
    under: string | undefined,
    retry: <T>(request: () => Promise<T>) => Promise<T>,
  ): AsyncGenerator<(Omit<RecordSet, 'type'> & { type: RecordType | null })[]> {
    let startName: string | undefined = under ? toRoute53Name(under) : undefined;
    let startType: RRType | undefined;
    for (;;) {
      const res = await retry(() =>
        this.call(() =>
          this.client.send(
            new ListResourceRecordSetsCommand({
              HostedZoneId: this.zoneId,
              ...(startName ? { StartRecordName: startName } : {}),
              ...(startType ? { StartRecordType: startType } : {}),
              MaxItems: 300,
            }),
          ),
        ),
      );
      yield (res.ResourceRecordSets ?? []).map((rs) => {
        const type = rs.Type ?? '';
        const supported = isRecordType(type) && !rs.AliasTarget;
        return {
          name: fromRoute53Name(rs.Name ?? ''),
          type: supported ? type : null,
          ttl: rs.TTL ?? 300,
          values: supported
            ? (rs.ResourceRecords ?? []).map((r) => decodeValue(type, r.Value ?? ''))
            : [],
        };
      });
      if (!res.IsTruncated) return;
      startName = res.NextRecordName;
      startType = res.NextRecordType;
    }
  }

  async applyChanges(changes: RecordSetChange[]): Promise<string> {
    const res = await this.call(() =>
      this.client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: this.zoneId,
          ChangeBatch: {
            Comment: 'starchart reconciler',
            Changes: changes.map((c) => ({
              Action: c.action,
              ResourceRecordSet: {
                Name: toRoute53Name(c.set.name),
                Type: c.set.type,
                TTL: c.set.ttl,
                ResourceRecords: c.set.values.map((v) => ({ Value: encodeValue(c.set.type, v) })),
              },
            })),
          },
        }),
      ),
    );
    const id = res.ChangeInfo?.Id ?? '';
    return id.replace(/^\/change\//, '');
  }

  async isChangeInSync(changeId: string): Promise<boolean> {
    const res = await this.call(() => this.client.send(new GetChangeCommand({ Id: changeId })));
    return res.ChangeInfo?.Status === 'INSYNC';
  }

  notifyChanged(): void {}

  /** Send one request at the configured pace; map SDK errors onto the port's kinds. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    await this.pacer.slot();
    try {
      return await fn();
    } catch (e) {
      const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const code = err.name ?? 'Error';
      const message = err.message ?? String(e);
      if (code === 'Throttling' || code === 'ThrottlingException' || /rate exceeded/i.test(message))
        throw new DnsProviderError('throttled', message, code);
      if (code === 'PriorRequestNotComplete') throw new DnsProviderError('busy', message, code);
      if (code === 'InvalidChangeBatch' || code === 'InvalidInput')
        throw new DnsProviderError('rejected', message, code);
      throw new DnsProviderError('unavailable', message, code);
    }
  }
}

const reversed = (name: string) => name.split('.').reverse().join('.');

/**
 * Paces requests under `perSecond`: at most that many requests start in any window of one second (plus
 * a 25 ms margin for timing jitter), so a short burst (a list, a change, a status check) goes at once and
 * a long run settles just under the rate. Route53 throttles an account above its rate (5/s on the
 * classic quota page; a token bucket on the newer one), and its Throttling answers still count against
 * the account, other users of it included. Pacing sends the minimum number of requests in the time that
 * bursting and backing off would take.
 */
export class RequestPacer {
  private readonly perWindow: number;
  private readonly windowMs: number;
  /** Start times granted to the last `perWindow` callers (some may lie in the future), oldest first. */
  private readonly granted: number[] = [];

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((r) => setTimeout(r, ms)),
  ) {
    this.perWindow = Math.max(1, Math.floor(perSecond));
    this.windowMs = perSecond > 0 ? (1000 * this.perWindow) / perSecond + PACER_MARGIN_MS : 0;
  }

  /** Resolves when the caller may send; 0 requests per second means at once. */
  async slot(): Promise<void> {
    if (this.perSecond <= 0) return;
    const now = this.now();
    const at =
      this.granted.length < this.perWindow ? now : Math.max(now, this.granted[0]! + this.windowMs);
    this.granted.push(at);
    if (this.granted.length > this.perWindow) this.granted.shift();
    if (at > now) await this.sleep(at - now);
  }
}

const PACER_MARGIN_MS = 25;
