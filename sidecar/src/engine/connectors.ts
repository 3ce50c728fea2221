// Builds the connector of a configured source, one instance per source and settings version
// (so an access token stays cached between runs).
import type { Logger } from '../logger.js';
import { createPullSource } from '../connectors/registry.js';
import type { Connector } from '../connectors/types.js';
import type { SourceConnection } from './types.js';

export { UnknownSourceTypeError } from '../connectors/registry.js';

export type ConnectorFactory = (source: SourceConnection, logger: Logger) => Connector;

export const defaultConnectorFactory: ConnectorFactory = createPullSource;

export class ConnectorCache {
  private readonly cache = new Map<string, { key: string; connector: Connector }>();

  constructor(
    private readonly factory: ConnectorFactory,
    private readonly logger: Logger,
  ) {}

  get(source: SourceConnection): Connector {
    const key = JSON.stringify([source.type, source.settings]);
    const cached = this.cache.get(source.slug);
    if (cached && cached.key === key) return cached.connector;
    const connector = this.factory(source, this.logger);
    this.cache.set(source.slug, { key, connector });
    return connector;
  }
}
