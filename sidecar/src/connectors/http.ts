// The HTTP client of a connector that calls a vendor's REST API with a bearer token
// (Microsoft Graph, Salesforce): kept-alive connections, every status answered (the
// connector reads the vendor's error shape), large pages allowed, and no redirect followed,
// so the token never reaches another host.
import axios from 'axios';
import type { AxiosInstance } from 'axios';
import http from 'node:http';
import https from 'node:https';

export function bearerApiHttp(options: { timeoutMs: number; maxSockets: number }): AxiosInstance {
  return axios.create({
    timeout: options.timeoutMs,
    validateStatus: () => true,
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: options.maxSockets }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: options.maxSockets }),
    maxContentLength: 256 * 1024 * 1024,
    maxRedirects: 0,
  });
}
