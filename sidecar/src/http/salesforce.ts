// What the admin UI reads from a Salesforce connection while the admin builds object maps
// (the plugin relays these; never called by browsers directly):
//   GET /api/v1/sources/:source/salesforce/objects          the org's objects (describeGlobal)
//   GET /api/v1/sources/:source/salesforce/objects/:object  one object's fields and record types
// Errors: `{ code, message }`; 404 `unknown_source` for a slug that is not a Salesforce
// connection, 502 with Salesforce's errorCode when Salesforce refused.
import express from 'express';
import type { Request, Response, Router } from 'express';
import { requireApiKey } from '../auth/api-key.js';
import { describeForAdmin } from '../connectors/salesforce/describe.js';
import {
  SalesforceConnector,
  SalesforceError,
  SalesforceSettingsError,
} from '../connectors/salesforce/index.js';
import { UnknownSourceTypeError } from '../connectors/registry.js';
import { SourceNotFoundError } from '../engine/index.js';
import type { SyncEngine } from '../engine/index.js';
import type { Logger } from '../logger.js';

export interface SalesforceRoutesDeps {
  engine: Pick<SyncEngine, 'connectorFor'>;
  /** SIDECAR_API_KEY; null leaves the routes open (local development only). */
  apiKey: string | null;
  logger: Logger;
}

const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;

export function salesforceRouter(deps: SalesforceRoutesDeps): Router {
  const router = express.Router();
  router.use('/sources/:source/salesforce', requireApiKey(deps.apiKey));

  const connectorOf = async (req: Request): Promise<SalesforceConnector> => {
    const slug = String(req.params.source);
    const connector = await deps.engine.connectorFor(slug, 'salesforce');
    if (!(connector instanceof SalesforceConnector)) {
      throw new SourceNotFoundError(`The source "${slug}" is not a Salesforce connection`);
    }
    return connector;
  };

  router.get('/sources/:source/salesforce/objects', async (req: Request, res: Response) => {
    try {
      const { client } = await connectorOf(req);
      const { sobjects } = await client.describeGlobal();
      res.json({
        objects: sobjects.map((object) => ({
          name: object.name,
          label: object.label,
          queryable: object.queryable,
          createable: object.createable,
          updateable: object.updateable,
        })),
      });
    } catch (failure) {
      handle(res, failure, deps.logger);
    }
  });

  router.get('/sources/:source/salesforce/objects/:object', async (req: Request, res: Response) => {
    const object = String(req.params.object);
    if (!OBJECT_NAME.test(object)) {
      return error(
        res,
        400,
        'invalid_object',
        'The object must be a Salesforce API name, e.g. Contact',
      );
    }
    try {
      const { client } = await connectorOf(req);
      res.json(describeForAdmin(await client.describe(object)));
    } catch (failure) {
      handle(res, failure, deps.logger);
    }
  });

  return router;
}

function handle(res: Response, failure: unknown, logger: Logger) {
  if (failure instanceof SourceNotFoundError || failure instanceof UnknownSourceTypeError) {
    return error(res, 404, 'unknown_source', failure.message);
  }
  if (failure instanceof SalesforceSettingsError) {
    return error(res, 400, 'invalid_settings', failure.message);
  }
  if (failure instanceof SalesforceError) {
    if (failure.status === 404) return error(res, 404, failure.errorCode, failure.message);
    return error(res, 502, failure.errorCode, `Salesforce refused: ${failure.message}`);
  }
  logger.error({ err: failure }, 'salesforce request failed');
  error(res, 500, 'internal_error', (failure as Error).message || 'Internal error');
}

function error(res: Response, status: number, code: string, message: string) {
  res.status(status).json({ code, message });
}
